"""int8:=first_use on the pose node: the first people it poses calibrate an INT8 copy in the background while
FP32 answers, the node switches to it and every frame is still answered; the next start takes it from the
cache at once; a network it cannot quantise (MediaPipe's) is left as it is."""
import os
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))


def test_first_people_calibrate_int8_while_fp32_answers_and_the_node_switches(vision_msgs, tmp_path, monkeypatch):
    from graph_fixture import feed_frames, messages, pose_node_harness
    from sensor_msgs.msg import Image

    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    domain = 100 + os.getpid() % 50
    with pose_node_harness(domain, int8="first_use", int8_crops=4) as h:
        assert h.pose.estimator.engine == "torch" and h.pose.int8 is not None
        got = feed_frames(h, 2)  # 2 people a frame: the 4 crops it calibrates on
        assert len(got) == 2
        deadline = time.monotonic() + 30  # a frame is offered after its poses are published
        while not h.pose.int8.started and time.monotonic() < deadline:
            time.sleep(0.05)
        h.pose.int8.wait(300)
        n = 2
        deadline = time.monotonic() + 60
        while h.pose.estimator.engine != "onnxruntime" and time.monotonic() < deadline:  # switched after a frame
            for m in messages(n):
                (h.img_pub if isinstance(m, Image) else h.det_pub).publish(m)
            n += 1
            time.sleep(0.5)
        assert h.pose.int8.error is None and h.pose.estimator.engine == "onnxruntime"
        while len(h.got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(h.got) == n and all(len(m.poses) == 2 for m in h.got)  # every frame answered, before and after
        cached = sorted(p.name for p in (tmp_path / "engines").iterdir())
    assert len(cached) == 2 and cached[0].endswith("_int8.json") and cached[1].endswith("_int8.onnx")


def test_the_next_start_with_the_same_weights_takes_int8_from_the_cache(vision_msgs, tmp_path, monkeypatch):
    import torch
    from graph_fixture import feed_frames, pose_node_harness

    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    domain = 100 + os.getpid() % 50
    for start in range(2):
        torch.manual_seed(0)  # the same untrained weights both times, as a checkpoint would give
        with pose_node_harness(domain, int8="first_use", int8_crops=2) as h:
            if start == 0:
                feed_frames(h, 1)
                deadline = time.monotonic() + 30  # the frame is offered after its poses are published
                while not h.pose.int8.started and time.monotonic() < deadline:
                    time.sleep(0.05)
                h.pose.int8.wait(300)
                assert h.pose.int8.error is None
            else:
                assert h.pose.estimator.engine == "onnxruntime" and h.pose.int8.done  # at once
                assert len(feed_frames(h, 3)) == 3


def test_int8_first_use_leaves_a_network_it_cannot_quantise_as_it_is(vision_msgs):
    from graph_fixture import feed_frames, pose_node_harness

    with pose_node_harness(100 + os.getpid() % 50, pose_config="", allow_untrained=False, backend="mediapipe",
                           int8="first_use") as h:
        assert h.pose.int8 is None and "MediaPipe" in h.pose.estimator.describe()
        assert len(feed_frames(h, 2)) == 2
