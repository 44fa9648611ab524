"""alphapose-fleet: many bags on a Ray cluster, sharded by time, each shard done exactly once."""
