"""Pose networks (plain nn.Modules whose parameter names match AlphaPose checkpoints)."""
