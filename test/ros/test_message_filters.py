"""The pose node pairs images and detections through the real message_filters TimeSynchronizer where it is
installed (every full ROS 2 system; in CI the upstream package), and through its own exact-stamp pairer
where it is not: the same poses come out either way."""
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


def _pairs_three_frames_in_any_order(domain: int):
    from graph_fixture import header, messages, pose_node_harness
    from sensor_msgs.msg import Image

    with pose_node_harness(domain) as h:
        for f in (0, 1, 2):
            img, det = messages(f)
            for m in (det, img) if f % 2 else (img, det):  # detections first on odd frames
                (h.img_pub if isinstance(m, Image) else h.det_pub).publish(m)
        deadline = time.monotonic() + 60
        while len(h.got) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        sync = getattr(h.pose, "_sync", None)
        topics = [s.topic_name.rsplit("/", 1)[-1] for s in h.pose.subs]
        capacity = h.pose.pairer.capacity
    assert sorted((m.header.stamp.sec, m.header.stamp.nanosec) for m in h.got) == [
        (header(f).stamp.sec, header(f).stamp.nanosec) for f in (0, 1, 2)]
    assert all(len(m.poses) == 2 for m in h.got) and topics == ["image", "detections"]
    return sync, capacity


def test_pose_node_pairs_through_the_real_time_synchronizer(vision_msgs, message_filters):
    sync, capacity = _pairs_three_frames_in_any_order(60 + os.getpid() % 30)
    assert isinstance(sync, message_filters.TimeSynchronizer)
    assert sync.queue_size == capacity and len(sync.queues) == 2


def test_without_message_filters_the_own_pairer_gives_the_same_poses(vision_msgs, monkeypatch):
    monkeypatch.setitem(sys.modules, "message_filters", None)  # import fails, as on a system without it
    sync, _ = _pairs_three_frames_in_any_order(90 + os.getpid() % 30)
    assert sync is None
