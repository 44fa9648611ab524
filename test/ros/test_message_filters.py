"""Where message_filters is installed the pose node pairs images and detections with its
TimeSynchronizer (here a stand-in with the same interface and exact-stamp policy, since the
real package is not installable on this machine); the poses that come out are the same."""
import os
import sys
import time
import types
from pathlib import Path

import pytest


@pytest.fixture()
def fake_message_filters(monkeypatch):
    made = {"subscribers": [], "synchronizers": []}

    class Subscriber:
        def __init__(self, node, msg_type, topic, qos_profile=10):
            self.callbacks = []
            self.sub = node.create_subscription(msg_type, topic, self._cb, qos_profile)
            made["subscribers"].append((topic, qos_profile))

        def registerCallback(self, cb):
            self.callbacks.append(cb)

        def _cb(self, msg):
            for cb in self.callbacks:
                cb(msg)

    class TimeSynchronizer:
        def __init__(self, fs, queue_size):
            self.queues = [dict() for _ in fs]
            self.callbacks = []
            self.queue_size = queue_size
            for i, f in enumerate(fs):
                f.registerCallback(lambda m, i=i: self._add(i, m))
            made["synchronizers"].append(queue_size)

        def registerCallback(self, cb):
            self.callbacks.append(cb)

        def _add(self, i, msg):
            key = (msg.header.stamp.sec, msg.header.stamp.nanosec)
            self.queues[i][key] = msg
            if all(key in q for q in self.queues):
                msgs = [q.pop(key) for q in self.queues]
                for cb in self.callbacks:
                    cb(*msgs)

    mod = types.ModuleType("message_filters")
    mod.Subscriber, mod.TimeSynchronizer = Subscriber, TimeSynchronizer
    monkeypatch.setitem(sys.modules, "message_filters", mod)
    return made


def test_pose_node_pairs_through_message_filters_where_installed(vision_msgs, fake_message_filters):
    sys.path.insert(0, str(Path(__file__).parent))
    from graph_fixture import header, messages, pose_node_harness
    from sensor_msgs.msg import Image

    with pose_node_harness(60 + os.getpid() % 30) as h:
        for f in (0, 1, 2):
            img, det = messages(f)
            for m in (det, img) if f % 2 else (img, det):
                (h.img_pub if isinstance(m, Image) else h.det_pub).publish(m)
        deadline = time.monotonic() + 60
        while len(h.got) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        n_in = h.pose.monitor.n_in
    assert [t for t, _ in fake_message_filters["subscribers"]] == ["image", "detections"]
    assert fake_message_filters["synchronizers"] == [h.pose.pairer.capacity]
    assert sorted((m.header.stamp.sec, m.header.stamp.nanosec) for m in h.got) == [
        (header(f).stamp.sec, header(f).stamp.nanosec) for f in (0, 1, 2)]
    assert all(len(m.poses) == 2 for m in h.got) and n_in == 3


