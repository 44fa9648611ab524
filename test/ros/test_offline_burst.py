"""Offline mode processes every frame even when a burst of images arrives long before
their detections (a bag replayed at full speed into a slow detector)."""
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


@pytest.mark.fault("offline-stamp-order")
def test_images_arriving_far_ahead_of_detections_are_all_paired_offline(vision_msgs):
    from graph_fixture import header, messages, pose_node_harness

    n = 25  # more than sync_queue (10)
    with pose_node_harness(150 + os.getpid() % 50, sync_queue=10) as h:
        msgs = [messages(f) for f in range(n)]
        for img, _ in msgs:
            h.img_pub.publish(img)
        time.sleep(1.0)  # every image is waiting before the first detection arrives
        for _, det in msgs:
            h.det_pub.publish(det)
        deadline = time.monotonic() + 120
        while len(h.got) < n and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [m.header.stamp for m in h.got] == [header(f).stamp for f in range(n)]


@pytest.mark.fault("offline-stamp-order")
def test_backwards_and_repeated_stamps_are_all_paired_offline(vision_msgs):
    """A burst whose stamps go backwards, with two frames sharing a stamp: every frame comes out, each image
    with its own boxes (before, a match purged every older stamp and a repeated stamp overwrote the first)."""
    from graph_fixture import messages, pose_node_harness

    order = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
    msgs = [messages(f) for f in order]
    twin_img, twin_det = messages(20)  # frame 20's picture and boxes under frame 5's stamp
    twin_img.header = twin_det.header = msgs[4][0].header
    with pose_node_harness(150 + os.getpid() % 50) as h:
        for img, _ in msgs + [(twin_img, None)]:
            h.img_pub.publish(img)
        time.sleep(1.0)
        for _, det in msgs + [(None, twin_det)]:
            h.det_pub.publish(det)
        deadline = time.monotonic() + 120
        while len(h.got) < 11 and time.monotonic() < deadline:
            time.sleep(0.1)
        dropped = h.pose.pair_drops.total
    stamps = [(m.header.stamp.sec, m.header.stamp.nanosec) for m in h.got]
    want = [(img.header.stamp.sec, img.header.stamp.nanosec) for img, _ in msgs]
    assert stamps == want + [want[4]] and dropped == 0
    # the twin frame's poses sit in its own boxes, not frame 5's
    boxes = [[list(p.box) for p in m.poses] for m in h.got]
    assert boxes[4] != boxes[10]
