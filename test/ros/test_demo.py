"""The README's main job: vtest.avi published as a camera through the real node graph, the
outputs recorded (bag with tracked poses, annotated video)."""
import os

import pytest

pytestmark = pytest.mark.ros


def test_demo_runs_the_graph_on_the_clip_and_records_outputs(vision_msgs, mediapipe_models, footage, tmp_path,
                                                             monkeypatch, capsys):
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags
    from alphapose_ros.ros.demo import main

    monkeypatch.setenv("ROS_DOMAIN_ID", str(120 + os.getpid() % 30))
    out = tmp_path / "demo"
    assert main(["--video", str(footage / "vtest.avi"), "--frames", "8", "--rate", "4", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "/poses" in text and "/image_annotated" in text and "camera frames published: 8" in text
    assert "annotated frames on /image_annotated: " in text and "longest wait for an answer (from the first" in text
    ts = bags.typestore()
    with Reader(out / "poses_bag") as r:
        conns = [c for c in r.connections if c.topic == "/poses"]
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in r.messages(connections=conns)]
    assert 1 <= len(msgs) <= 8
    assert all(m.header.frame_id == "camera_optical_frame" and m.num_keypoints == 26 for m in msgs)
    assert all(p.track_id >= 1 for m in msgs for p in m.poses)
    assert (out / "annotated.avi").stat().st_size > 10_000
    assert main(["--video", str(footage / "vtest.avi"), "--out", str(out)]) == 2  # never overwrites


def test_the_demo_gives_its_graph_the_large_image_profile_and_leaves_the_environment_as_it_was(
        vision_msgs, mediapipe_models, footage, tmp_path, monkeypatch):
    import subprocess

    from alphapose_ros.ros import demo

    monkeypatch.delenv("FASTDDS_DEFAULT_PROFILES_FILE", raising=False)
    seen = []
    real_popen = subprocess.Popen

    def popen(cmd, **kw):
        seen.append(kw.get("env", {}).get("FASTDDS_DEFAULT_PROFILES_FILE", ""))
        return real_popen(cmd, **kw)

    monkeypatch.setattr(demo.subprocess, "Popen", popen)
    demo.main(["--video", str(footage / "vtest.avi"), "--frames", "2", "--rate", "4", "--out", str(tmp_path / "d")])
    assert seen and all(s.endswith("config/dds/fastdds_large_images.xml") for s in seen)
    assert "FASTDDS_DEFAULT_PROFILES_FILE" not in os.environ  # later graphs in this process are not changed


def _recorder_node(vision_msgs, tmp_path, backlog: int):
    import rclpy

    from alphapose_ros.ros.demo import _Recorder

    rclpy.init()
    node = rclpy.create_node("demo_recorder_test")
    return rclpy, node, _Recorder(node, tmp_path / "bag", backlog=backlog)


def test_the_recorder_streams_frames_into_the_bag_as_they_come_and_the_video_is_read_back_from_it(
        vision_msgs, tmp_path):
    import cv2
    import numpy as np
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import Image

    from alphapose_ros.core.io import bags
    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from alphapose_ros.ros.demo import _write_video
    from graph_fixture import header

    rclpy, node, rec = _recorder_node(vision_msgs, tmp_path, backlog=64)
    try:
        for f in range(6):
            rec._on_image(serialize_message(bgr_to_image(np.full((48, 64, 3), 20 * f, np.uint8), header(f), Image)))
        rec.close()
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    assert rec.images == 6 and rec.images_lost == 0 and rec.error == ""
    frames = [(h.stamp.sec, h.stamp.nanosec, int(img[0, 0, 0])) for h, img, _ in bags.read_images(tmp_path / "bag",
                                                                                                  "/image_annotated")]
    assert frames == [(header(f).stamp.sec, header(f).stamp.nanosec, 20 * f) for f in range(6)]
    video = _write_video(tmp_path / "bag", tmp_path)
    cap = cv2.VideoCapture(str(video))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6


def test_a_recorder_that_cannot_write_holds_at_most_its_backlog_and_says_why(vision_msgs, tmp_path):
    import numpy as np
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import Image

    from alphapose_ros.core.io.image_msgs import bgr_to_image
    from graph_fixture import header

    (tmp_path / "bag").mkdir()  # the writer refuses an existing folder, as a full disk refuses a write
    (tmp_path / "bag" / "metadata.yaml").write_text("")
    rclpy, node, rec = _recorder_node(vision_msgs, tmp_path, backlog=3)
    try:
        for f in range(10):
            rec._on_image(serialize_message(bgr_to_image(np.zeros((48, 64, 3), np.uint8), header(f), Image)))
        rec.close()
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    assert rec.error.startswith(f"recording {tmp_path / 'bag'} failed")
    assert rec.images == 0 and rec._waiting == 3 and rec.images_lost == 7


@pytest.mark.fault("node-process-freezes")
def test_the_demo_starts_again_a_graph_process_that_ended_and_only_that_one(tmp_path, capsys):
    import subprocess
    import sys

    from alphapose_ros.ros.demo import _respawn

    log = open(tmp_path / "graph.log", "w")
    marker = tmp_path / "starts"
    ends = [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x')"]
    lives = [sys.executable, "-c", "import time; time.sleep(60)"]
    procs = [subprocess.Popen(c) for c in (ends, lives)]
    procs[0].wait()
    living = procs[1]
    try:
        started = _respawn(procs, [ends, lives], log, {})
        assert len(started) == 1 and procs[1] is living and procs[0].wait(10) == 0
        assert marker.read_text() == "xx" and "exited with code 0; restarting it" in capsys.readouterr().err
        assert _respawn(procs, [ends, lives], log, {}) != []  # ended again: started again
    finally:
        for p in procs:
            p.kill()
        log.close()
