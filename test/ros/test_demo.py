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
