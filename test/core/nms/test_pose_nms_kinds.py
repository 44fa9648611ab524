"""The pipeline's pose NMS choices on one frame: OKS NMS drops a duplicate pose, soft OKS NMS keeps every pose
ranked with the duplicate last, none keeps everything in order, and an unknown kind is refused."""
import numpy as np
import pytest

from alphapose_ros.core.nms.parametric import PoseNMSParams
from alphapose_ros.core.pipeline import apply_pose_nms
from alphapose_ros.core.poses import PoseSet


def frame() -> PoseSet:
    rng = np.random.default_rng(0)
    a = rng.uniform(100, 200, (17, 2))
    b = a + 300.0                                  # another person
    dup = a + rng.normal(0, 0.5, a.shape)          # a's duplicate
    kp = np.stack([a, dup, b])
    boxes = np.concatenate([kp.min(1), kp.max(1)], 1)
    return PoseSet("coco_17", boxes, np.array([0.9, 0.8, 0.7]), kp, np.full((3, 17), 0.9), np.ones(3))


def test_oks_drops_the_duplicate_and_soft_oks_ranks_it_last():
    p = frame()
    kept, merged = apply_pose_nms(p, "oks", PoseNMSParams())
    assert [m[0] for m in merged] == [0, 2]
    soft, merged = apply_pose_nms(p, "soft_oks", PoseNMSParams())
    assert [m[0] for m in merged] == [0, 2, 1]
    assert np.allclose(soft.keypoints[2], p.keypoints[1])
    none, merged = apply_pose_nms(p, "none", PoseNMSParams())
    assert len(none) == 3 and merged == [[0], [1], [2]]
    with pytest.raises(ValueError, match="unknown pose NMS"):
        apply_pose_nms(p, "greedy", PoseNMSParams())
