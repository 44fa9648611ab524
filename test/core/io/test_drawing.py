"""Drawing poses on an image: a pose with a non-finite box or keypoints is drawn without them, never a crash."""
import numpy as np

from alphapose_ros.core.io.drawing import draw_poses
from alphapose_ros.core.poses import PoseSet


def test_a_pose_with_a_nan_box_or_keypoint_is_drawn_without_it_not_a_crash():
    kp = np.tile(np.linspace(20, 80, 17, dtype=np.float32)[:, None], (1, 2))[None]
    ks = np.full((1, 17), 0.9, np.float32)
    kp[0, 0] = np.nan
    poses = PoseSet("coco", np.array([[np.nan, 10, 90, 90]], np.float32), np.ones(1, np.float32), kp, ks,
                    np.ones(1, np.float32))
    image = np.zeros((100, 100, 3), np.uint8)
    out = draw_poses(image, poses)
    assert out.shape == image.shape and out.any()  # the finite keypoints are drawn
