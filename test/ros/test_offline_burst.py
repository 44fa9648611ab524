"""Offline mode processes every frame even when a burst of images arrives long before
their detections (a bag replayed at full speed into a slow detector)."""
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


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
