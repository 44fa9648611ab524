"""Detections <-> vision_msgs/Detection2DArray."""
import numpy as np
import pytest

pytestmark = pytest.mark.ros


def test_round_trip_keeps_boxes_scores_header_and_ids(vision_msgs):
    from std_msgs.msg import Header

    from alphapose_ros.core.detectors.base import Detections
    from alphapose_ros.ros.detection_msgs import detections_to_msg, msg_to_detections

    det = Detections(np.array([[10, 20, 50, 120], [0, 0, 5, 5]], np.float32), np.array([0.9, 0.2]), np.array([0, 3]))
    h = Header(frame_id="cam")
    m = detections_to_msg(det, h, ids=["7", "8"])
    assert m.header.frame_id == "cam" and [d.id for d in m.detections] == ["7", "8"]
    back = msg_to_detections(m)
    np.testing.assert_allclose(back.boxes, det.boxes)
    np.testing.assert_allclose(back.scores, [0.9, 0.2], rtol=1e-6)
    assert back.classes.tolist() == [0, -1]
