"""The pose node with no AlphaPose weights: it configures the MediaPipe backend and publishes
Halpe-26 poses that lie on the person in a real photo."""
import os
import sys
import time
from pathlib import Path

import cv2
import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


def test_empty_pose_config_runs_mediapipe_on_a_real_photo(vision_msgs, mediapipe_models, footage):
    from graph_fixture import header, pose_node_harness
    from sensor_msgs.msg import Image

    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector
    from alphapose_ros.ros.conversions import msg_to_poses
    from alphapose_ros.ros.detection_msgs import detections_to_msg

    img = cv2.imread(str(footage / "messi5.jpg"))
    det = BlazePoseDetector().detect([img])[0]
    with pose_node_harness(200 + os.getpid() % 30,  # FastDDS refuses ids above 232
                            pose_config="", allow_untrained=False) as h:
        assert h.pose.estimator.head == "mediapipe"
        h.img_pub.publish(bgr_to_image(img, header(0), Image))
        h.det_pub.publish(detections_to_msg(det, header(0)))
        deadline = time.monotonic() + 60
        while not h.got and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(h.got) == 1
    poses = msg_to_poses(h.got[0])
    assert poses.format_name == "halpe_26" and len(poses) == 1
    confident = poses.keypoints[0][poses.keypoint_scores[0] > 0.5]
    x1, y1, x2, y2 = det.boxes[0]
    assert len(confident) >= 15
    assert ((confident >= [x1, y1]) & (confident <= [x2, y2])).all(1).mean() > 0.9
