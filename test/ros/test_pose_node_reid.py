"""The pose node with a pose-guided re-ID branch (reid_weights = a reid_<step>.pth alphapose-train wrote
beside its checkpoint) publishes that branch's embeddings with every pose, from the same pass."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "training"))


def test_pose_node_publishes_pose_guided_embeddings(vision_msgs, tmp_path):
    from graph_fixture import feed_frames, pose_node_harness
    from helpers import reid_config

    from alphapose_ros.core.training.trainer import Trainer

    cfg = reid_config(tmp_path, {"TYPE": "pga", "EMBED_DIM": 16}, steps=2)
    Trainer(cfg, tmp_path / "run").run(progress=False)
    with pose_node_harness(60 + os.getpid() % 20, pose_config=str(cfg), checkpoint=str(tmp_path / "run" / "model_2.pth"),
                           reid_weights=str(tmp_path / "run" / "reid_2.pth"), allow_untrained=False) as h:
        feed_frames(h, 2)
    assert len(h.got) == 2
    for msg in h.got:
        assert msg.poses
        emb = np.array([p.embedding for p in msg.poses])
        assert emb.shape == (len(msg.poses), 16)
        np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
