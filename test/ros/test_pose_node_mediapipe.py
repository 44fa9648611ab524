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


def test_crop_tracking_answers_images_without_detections_from_the_last_poses(vision_msgs, mediapipe_models,
                                                                            footage):
    """Live crop tracking: the first image is paired with the detector's boxes; the next image, with no
    detections at all, still gets the person (followed from the last pose); a blank image gets nobody."""
    import numpy as np
    from graph_fixture import header, pose_node_harness
    from sensor_msgs.msg import Image

    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector
    from alphapose_ros.ros.conversions import msg_to_poses
    from alphapose_ros.ros.detection_msgs import detections_to_msg

    img = cv2.imread(str(footage / "messi5.jpg"))
    det = BlazePoseDetector().detect([img])[0]

    def wait_for(h, n):
        deadline = time.monotonic() + 60
        while len(h.got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(h.got) >= n

    with pose_node_harness(170 + os.getpid() % 30, pose_config="", allow_untrained=False, offline=False,
                           crop_tracking=True) as h:
        deadline = time.monotonic() + 30
        while h.img_pub.get_subscription_count() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        # the camera subscription settles on the publisher's reliability (re-made by a timer: an image sent
        # while it is re-made is lost, as it would be from a live camera)
        while (h.pose.camera.qos.reliability != h.img_pub.qos_profile.reliability
               and time.monotonic() < deadline + 30):
            time.sleep(0.05)
        time.sleep(0.5)
        h.det_pub.publish(detections_to_msg(det, header(0)))
        time.sleep(0.3)  # the detections are there before their image: they are the newest when it comes
        h.img_pub.publish(bgr_to_image(img, header(0), Image))
        assert wait_for(h, 1)
        h.img_pub.publish(bgr_to_image(img, header(1), Image))
        assert wait_for(h, 2)
        h.img_pub.publish(bgr_to_image(np.full_like(img, 128), header(2), Image))
        assert wait_for(h, 3)
    first, second, blank = (msg_to_poses(m) for m in h.got[:3])
    assert len(first) == 1 and len(second) == 1 and len(blank) == 0
    assert [m.header.stamp.nanosec for m in h.got[:3]] == [header(i).stamp.nanosec for i in range(3)]
    # the same still photo, cropped from the last pose instead of the detector's box: the same person
    assert np.median(np.abs(second.keypoints - first.keypoints)) < 6.0
