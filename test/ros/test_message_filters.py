"""Live, the pose node pairs images and detections through the real message_filters TimeSynchronizer where it
is installed (every full ROS 2 system; in CI the upstream package), and through its own exact-stamp pairer
where it is not: the same poses come out either way, and a stamp seen twice is never paired (which frame's
boxes would they be?)."""
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


def _live_pairing(domain: int):
    """Three frames, halves in either order, one at a time; then frame 3's image twice before its boxes
    (ambiguous: dropped), then frame 4."""
    from graph_fixture import header, messages, pose_node_harness
    from sensor_msgs.msg import Image

    def publish(*msgs) -> None:
        for m in msgs:
            (h.img_pub if isinstance(m, Image) else h.det_pub).publish(m)

    def wait_until(done, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)

    def wait_for(n: int) -> None:
        wait_until(lambda: len(h.got) >= n)

    with pose_node_harness(domain, offline=False) as h:
        deadline = time.monotonic() + 60  # live topics are volatile: publish once everything is matched
        while min(h.img_pub.get_subscription_count(), h.det_pub.get_subscription_count(),
                  h.pose.pub.get_subscription_count()) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        # the camera subscription settles on the publisher's reliability (re-made by a timer: a frame sent while
        # it is re-made can be lost, and one of frame 3's two images lost would make frame 3 unambiguous)
        while (h.pose.camera.qos.reliability != h.img_pub.qos_profile.reliability
               and time.monotonic() < deadline + 30):
            time.sleep(0.05)
        time.sleep(1.0)
        for f in (0, 1, 2):
            img, det = messages(f)
            publish(*((det, img) if f % 2 else (img, det)))  # detections first on odd frames
            wait_for(f + 1)
        img3, det3 = messages(3)
        publish(img3, img3)
        # both images are in before the boxes (separate topics need not keep their order): the second one
        # dropped the stamp with its pending twin, two drops
        wait_until(lambda: h.pose.pair_drops.total >= 2, 30)
        assert h.pose.pair_drops.total == 2
        publish(det3)
        publish(*messages(4))
        wait_for(4)
        time.sleep(1.0)  # anything wrongly paired would arrive by now
        sync = getattr(h.pose, "_sync", None)
        topics = [s.topic_name.rsplit("/", 1)[-1] for s in h.pose.subs]
        dropped = h.pose.pair_drops.total
    stamps = [(m.header.stamp.sec, m.header.stamp.nanosec) for m in h.got]
    assert stamps == [(header(f).stamp.sec, header(f).stamp.nanosec) for f in (0, 1, 2, 4)]
    assert all(len(m.poses) == 2 for m in h.got) and topics == ["image", "detections"]
    assert dropped == 3  # frame 3's two images and its boxes
    return sync


@pytest.mark.fault("live-duplicate-stamps")
def test_pose_node_pairs_through_the_real_time_synchronizer(vision_msgs, message_filters):
    sync = _live_pairing(60 + os.getpid() % 30)
    assert isinstance(sync, message_filters.TimeSynchronizer) and len(sync.queues) == 2


def test_without_message_filters_the_own_pairer_gives_the_same_poses(vision_msgs, monkeypatch):
    monkeypatch.setitem(sys.modules, "message_filters", None)  # import fails, as on a system without it
    assert _live_pairing(90 + os.getpid() % 30) is None
