"""alphapose-bag on a bag made from vtest.avi: one pose message per image, readable by rosbags."""
from contextlib import contextmanager
from pathlib import Path

import pytest

from alphapose_ros.cli.process_bag import main

FIXTURE = Path(__file__).resolve().parents[1] / "ros/fixtures/fastpose_coco17.yaml"


def test_bag_from_vtest_gives_exactly_one_pose_message_per_frame(footage, tmp_path):
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags

    cam = tmp_path / "camera_bag"
    assert main(["--video", str(footage / "vtest.avi"), "--make-bag", str(cam), "--max-frames", "6"]) == 0
    out = tmp_path / "poses_bag"
    assert main(["--bag", str(cam), "--out", str(out), "--cfg", str(FIXTURE), "--allow-untrained",
                 "--save-video", str(tmp_path / "vis.avi")]) == 0
    ts = bags.typestore()
    in_stamps = [bags.stamp_ns(h) for h, _, _ in bags.read_images(cam, "/camera/image_raw")]
    with Reader(out) as r:
        conns = [c for c in r.connections if c.topic == "/alphapose/poses"]
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in r.messages(connections=conns)]
        layouts = [c for c in r.connections if c.topic == "/alphapose/keypoint_layout"]
        assert layouts and sum(1 for _ in r.messages(connections=layouts)) == 1
        # the input's camera topic is in the output too, as recorded
        cam_conns = [c for c in r.connections if c.topic == "/camera/image_raw"]
        copied = [raw for _, _, raw in r.messages(connections=cam_conns)]
    with Reader(cam) as r:
        original = [raw for _, _, raw in r.messages()]
    assert copied == original
    assert [bags.stamp_ns(m.header) for m in msgs] == in_stamps and len(msgs) == 6
    assert all(m.header.frame_id == "camera_optical_frame" and m.num_keypoints == 17 for m in msgs)
    people = [len(m.poses) for m in msgs]
    assert sum(people) > 0  # HOG finds pedestrians; every pose is tracked
    ids = [p.track_id for m in msgs for p in m.poses]
    assert min(ids) >= 1 and all(len(p.x) == 17 for m in msgs for p in m.poses)
    assert (tmp_path / "vis.avi").stat().st_size > 10_000


@pytest.mark.fault("checkpoint-mismatched")
def test_missing_checkpoint_is_a_clear_error(footage, tmp_path, caplog):
    bag = _camera_bag(footage, tmp_path, frames=1)
    assert main(["--bag", str(bag), "--out", str(tmp_path / "o"), "--cfg", str(FIXTURE)]) == 2
    assert "no checkpoint given" in caplog.text and "alphapose-download --list" in caplog.text


def test_without_weights_mediapipe_runs_with_a_progress_bar_and_no_copy(mediapipe_models, footage, tmp_path,
                                                                        capsys):
    from rosbags.rosbag2 import Reader

    cam = tmp_path / "camera_bag"
    assert main(["--video", str(footage / "vtest.avi"), "--make-bag", str(cam), "--max-frames", "3"]) == 0
    out = tmp_path / "poses_bag"
    assert main(["--bag", str(cam), "--out", str(out), "--no-copy", "--progress", "on"]) == 0
    err = capsys.readouterr().err
    assert "3/3 frames" in err
    with Reader(out) as r:
        assert sorted(c.topic for c in r.connections) == ["/alphapose/keypoint_layout", "/alphapose/poses"]
        assert sum(c.msgcount for c in r.connections if c.topic == "/alphapose/poses") == 3


def _camera_bag(footage, tmp_path, frames: int = 5, corrupt: int | None = None):
    """A camera bag from vtest.avi; with `corrupt`, that message's bytes are cut short (rosbags cannot
    deserialise it), the rest as recorded."""
    from rosbags.rosbag2 import Reader, Writer

    cam = tmp_path / "camera_bag"
    assert main(["--video", str(footage / "vtest.avi"), "--make-bag", str(cam), "--max-frames", str(frames)]) == 0
    if corrupt is None:
        return cam
    bad = tmp_path / "corrupt_bag"
    with Reader(cam) as r, Writer(bad, version=9) as w:
        (c,) = r.connections
        out = w.add_connection(c.topic, c.msgtype, msgdef=c.msgdef.data, rihs01=c.digest)
        for i, (_, t, raw) in enumerate(r.messages()):
            w.write(out, t, raw[:40] if i == corrupt else raw)
    return bad


def _poses_in(out) -> int:
    from rosbags.rosbag2 import Reader

    with Reader(out) as r:  # opens only when the bag was closed properly (metadata.yaml)
        return sum(c.msgcount for c in r.connections if c.topic == "/alphapose/poses")


@pytest.mark.fault("bag-corrupt-message")
def test_a_corrupt_message_is_skipped_counted_and_the_rest_processed(footage, tmp_path, caplog):
    bag = _camera_bag(footage, tmp_path, corrupt=2)
    out = tmp_path / "poses_bag"
    assert main(["--bag", str(bag), "--out", str(out), "--cfg", str(FIXTURE), "--allow-untrained"]) == 0
    assert _poses_in(out) == 4  # the 4 good frames; the corrupt one has no header to answer with
    assert "corrupt sensor_msgs/msg/Image message" in caplog.text and "x1" in caplog.text


@pytest.mark.fault("bag-interrupted")
def test_interrupted_run_leaves_a_readable_bag_with_the_frames_done(footage, tmp_path, caplog, monkeypatch):
    from alphapose_ros.core.io import bags

    made = []
    real = bags.pose_array

    def pose_array_then_ctrl_c(*args):
        if len(made) == 3:
            raise KeyboardInterrupt
        made.append(1)
        return real(*args)

    monkeypatch.setattr(bags, "pose_array", pose_array_then_ctrl_c)
    out = tmp_path / "poses_bag"
    bag = _camera_bag(footage, tmp_path)
    assert main(["--bag", str(bag), "--out", str(out), "--cfg", str(FIXTURE), "--allow-untrained"]) == 130
    assert _poses_in(out) == 3 and "interrupted after 3 frames" in caplog.text
    monkeypatch.setattr(bags, "pose_array", real)  # the re-run replaces the interrupted bag on request
    assert main(["--bag", str(bag), "--out", str(out), "--cfg", str(FIXTURE), "--allow-untrained",
                 "--overwrite"]) == 0
    assert _poses_in(out) == 5


@pytest.mark.fault("bag-bad-targets")
def test_wrong_topic_or_existing_output_is_refused_before_anything_is_written(footage, tmp_path, caplog):
    bag = _camera_bag(footage, tmp_path, frames=1)
    out = tmp_path / "poses_bag"
    assert main(["--bag", str(bag), "--out", str(out), "--image-topic", "/cam/wrong", "--cfg", str(FIXTURE),
                 "--allow-untrained"]) == 2
    assert "no image topic '/cam/wrong'" in caplog.text and not out.exists()
    out.mkdir()
    assert main(["--bag", str(bag), "--out", str(out), "--cfg", str(FIXTURE), "--allow-untrained"]) == 2
    assert "exists already: pass --overwrite" in caplog.text
    (out / "notes.txt").write_text("mine")  # --overwrite removes bag folders only, and never the input
    for target in (out, bag):
        assert main(["--bag", str(bag), "--out", str(target), "--cfg", str(FIXTURE), "--allow-untrained",
                     "--overwrite"]) == 2
    assert (out / "notes.txt").exists() and _poses_in(bag) == 0 and "is the input bag" in caplog.text
    (tmp_path / "vis.avi").mkdir()
    assert main(["--bag", str(bag), "--out", str(tmp_path / "new"), "--cfg", str(FIXTURE), "--allow-untrained",
                 "--save-video", str(tmp_path / "vis.avi")]) == 2
    assert "cannot write a video there" in caplog.text and not (tmp_path / "new").exists()


def _rgbd_bag(footage, tmp_path, frames: int = 5, missing_depth: int = 3, compressed_depth: bool = False):
    """A camera bag (vtest frames) plus a 32FC1 depth image 3 m away everywhere but a NaN left half (with
    compressed_depth: 16UC1 3000 mm and 0 on the left, as image_transport's compressedDepth on
    /camera/depth/compressedDepth), on every frame but `missing_depth`, and a camera_info beside the image."""
    import numpy as np
    from rosbags.rosbag2 import Reader, Writer

    from alphapose_ros.core.io import bags

    cam = tmp_path / "camera_bag"
    assert main(["--video", str(footage / "vtest.avi"), "--make-bag", str(cam), "--max-frames", str(frames)]) == 0
    ts = bags.typestore()
    T = ts.types
    rgbd = tmp_path / "rgbd_bag"
    with Reader(cam) as r, Writer(rgbd, version=9) as w:
        conns = {c.id: w.add_connection(c.topic, c.msgtype, typestore=ts) for c in r.connections}
        c_depth = (w.add_connection("/camera/depth/compressedDepth", "sensor_msgs/msg/CompressedImage", typestore=ts)
                   if compressed_depth else w.add_connection("/camera/depth", "sensor_msgs/msg/Image", typestore=ts))
        c_info = w.add_connection("/camera/camera_info", "sensor_msgs/msg/CameraInfo", typestore=ts)
        for i, (c, t, raw) in enumerate(r.messages()):
            w.write(conns[c.id], t, raw)
            header = ts.deserialize_cdr(raw, c.msgtype).header
            info = T["sensor_msgs/msg/CameraInfo"](
                header=header, height=576, width=768, distortion_model="plumb_bob", d=np.zeros(5),
                k=np.array([600.0, 0, 383.5, 0, 600.0, 287.5, 0, 0, 1]), r=np.eye(3).reshape(-1), p=np.zeros(12),
                binning_x=0, binning_y=0, roi=T["sensor_msgs/msg/RegionOfInterest"](
                    x_offset=0, y_offset=0, height=0, width=0, do_rectify=False))
            w.write(c_info, t, ts.serialize_cdr(info, "sensor_msgs/msg/CameraInfo"))
            if i != missing_depth and compressed_depth:
                import cv2

                mm = np.full((576, 768), 3000, np.uint16)
                mm[:, :384] = 0
                png = cv2.imencode(".png", mm)[1].reshape(-1)
                msg = T["sensor_msgs/msg/CompressedImage"](header=header, format="16UC1; compressedDepth png",
                                                            data=np.concatenate([np.zeros(12, np.uint8), png]))
                w.write(c_depth, t, ts.serialize_cdr(msg, "sensor_msgs/msg/CompressedImage"))
            elif i != missing_depth:
                d = np.full((576, 768), 3.0, np.float32)
                d[:, :384] = np.nan
                img = T["sensor_msgs/msg/Image"](header=header, height=576, width=768, encoding="32FC1",
                                                  is_bigendian=0, step=768 * 4, data=d.view(np.uint8).reshape(-1))
                w.write(c_depth, t, ts.serialize_cdr(img, "sensor_msgs/msg/Image"))
    return rgbd


@pytest.mark.parametrize("compressed", [False, True], ids=["raw-32FC1", "compressedDepth-16UC1"])
def test_a_depth_topic_gives_3d_keypoints_and_frames_without_depth_keep_their_2d_poses(footage, tmp_path, caplog,
                                                                                       compressed):
    import numpy as np
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags
    from alphapose_ros.core.people3d.keypoints_3d import Intrinsics, back_project

    rgbd = _rgbd_bag(footage, tmp_path, compressed_depth=compressed)
    out = tmp_path / "poses_bag"
    topic = "/camera/depth/compressedDepth" if compressed else "/camera/depth"
    assert main(["--bag", str(rgbd), "--out", str(out), "--image-topic", "/camera/image_raw", "--depth-topic",
                 topic, "--camera-info-topic", "/camera/camera_info", "--no-copy", "--no-smoothing"]) == 0
    ts = bags.typestore()
    with Reader(out) as r:
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in r.messages()
                if c.topic == "/alphapose/poses"]
    assert len(msgs) == 5 and sum(len(m.poses) for m in msgs) > 0
    intr = Intrinsics(600.0, 600.0, 383.5, 287.5, 768, 576)
    for i, m in enumerate(msgs):
        for p in m.poses:
            if i == 3:  # no depth image for this frame: 2D poses as always, no 3D
                assert len(p.x3d) == 0 and len(p.x) == 26 and np.isnan(p.position).all()
                continue
            xyz = np.stack([p.x3d, p.y3d, p.z3d], 1)
            right = (np.asarray(p.x) >= 384 + 4) & (np.asarray(p.keypoint_scores) >= 0.05)
            left = np.asarray(p.x) < 384 - 4
            assert np.allclose(xyz[right, 2], 3.0) and np.isnan(xyz[left]).all()
            want = back_project(np.stack([p.x, p.y], 1)[right], np.full(right.sum(), 3.0), intr)
            assert np.allclose(xyz[right], want, atol=1e-4)
    assert "no depth image within 0.02 s" in caplog.text


def test_keypoints_are_smoothed_per_track_as_the_graph_smooths_them_unless_asked_not_to(mediapipe_models, footage,
                                                                                     tmp_path):
    import numpy as np
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags

    rgbd = _rgbd_bag(footage, tmp_path, frames=8, missing_depth=-1)
    runs = {}
    for name, extra in (("smoothed", []), ("raw", ["--no-smoothing"])):
        out = tmp_path / name
        assert main(["--bag", str(rgbd), "--out", str(out), "--image-topic", "/camera/image_raw", "--depth-topic",
                     "/camera/depth", "--camera-info-topic", "/camera/camera_info", "--no-copy", *extra]) == 0
        ts = bags.typestore()
        with Reader(out) as r:
            runs[name] = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in r.messages()
                          if c.topic == "/alphapose/poses"]
    ids = {k: [[p.track_id for p in m.poses] for m in v] for k, v in runs.items()}
    assert ids["smoothed"] == ids["raw"] and sum(map(len, ids["raw"])) > 0  # the same people, the same IDs
    first = {}
    moved = 0
    for ms, mr in zip(runs["smoothed"], runs["raw"]):
        for ps, pr in zip(ms.poses, mr.poses):
            if pr.track_id not in first:  # a track's first pose is its raw pose
                first[pr.track_id] = True
                assert np.allclose(ps.x, pr.x) and np.allclose(ps.y, pr.y)
            else:
                moved += not np.allclose(ps.x, pr.x)
            assert len(ps.vx3d) == len(ps.x) and len(pr.vx3d) == 0  # velocities come with the smoothing
    assert moved > 0


def test_a_missing_depth_or_camera_info_topic_is_refused_before_anything_runs(footage, tmp_path, caplog):
    rgbd = _rgbd_bag(footage, tmp_path)
    assert main(["--bag", str(rgbd), "--out", str(tmp_path / "o1"), "--image-topic", "/camera/image_raw",
                 "--depth-topic", "/nope"]) == 2
    assert "no depth topic '/nope'" in caplog.text
    assert main(["--bag", str(rgbd), "--out", str(tmp_path / "o2"), "--image-topic", "/camera/image_raw",
                 "--depth-topic", "/camera/depth", "--camera-info-topic", "/camera/other_info"]) == 2
    assert "no topic '/camera/other_info'" in caplog.text
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


@pytest.mark.parametrize("family", ["simcc", "rtmo"])
def test_released_layout_models_run_over_a_bag_named_by_pose_model_and_det_model(footage, tmp_path, family):
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags
    from alphapose_ros.synthetic import released_layouts

    cam = tmp_path / "camera_bag"
    assert main(["--video", str(footage / "vtest.avi"), "--make-bag", str(cam), "--max-frames", "4"]) == 0
    if family == "simcc":
        models = ["--pose-model", str(released_layouts.simcc_file(tmp_path / "rtmw.onnx", 133)),
                  "--det-model", str(released_layouts.detector_file(tmp_path / "yolox.onnx", (416, 416)))]
    else:
        models = ["--pose-model", str(released_layouts.rtmo_file(tmp_path / "rtmo.onnx"))]
    out = tmp_path / "poses_bag"
    assert main(["--bag", str(cam), "--out", str(out), "--no-copy", *models]) == 0
    ts = bags.typestore()
    with Reader(out) as r:
        conns = [c for c in r.connections if c.topic == "/alphapose/poses"]
        msgs = [ts.deserialize_cdr(raw, c.msgtype) for c, _, raw in r.messages(connections=conns)]
    assert len(msgs) == 4 and {m.num_keypoints for m in msgs} == {133 if family == "simcc" else 17}
    assert sum(len(m.poses) for m in msgs) > 0 and all(p.track_id >= 1 for m in msgs for p in m.poses)


@contextmanager
def _run_killed_after(cam, out, committed: int):
    """An alphapose-bag process on `cam`, SIGKILLed (a power cut, as far as the bag can tell) when the block
    ends; the block starts once `committed` messages are in its output."""
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "alphapose_ros.cli.process_bag", "--bag", str(cam), "--out",
                             str(out), "--no-copy", "--detector", "hog"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _committed(out) >= committed, proc)
        yield proc
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_for(cond, proc, timeout=120):
    import time

    end = time.monotonic() + timeout
    while not cond():
        assert proc.poll() is None and time.monotonic() < end, "the run ended before the test could kill it"
        time.sleep(0.1)


def _committed(out):
    import sqlite3

    from alphapose_ros.core.io.bag_output import committed_rows

    try:
        return committed_rows(out)
    except (ValueError, sqlite3.Error):  # not created yet, or locked while the writer commits
        return 0


@pytest.mark.fault("bag-killed")
def test_a_killed_run_keeps_what_it_committed_and_salvage_makes_it_a_readable_bag(footage, mediapipe_models,
                                                                                   tmp_path, caplog):
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags

    cam = _camera_bag(footage, tmp_path, frames=80)
    out = tmp_path / "poses_bag"
    with _run_killed_after(cam, out, 21):  # the layout and 20 pose messages
        pass
    assert main(["--bag", str(cam), "--out", str(out), "--detector", "hog"]) == 2
    assert "what a killed run left" in caplog.text and f"alphapose-bag --salvage {out}" in caplog.text
    assert main(["--salvage", str(out)]) == 0
    ts = bags.typestore()
    with Reader(out) as r:
        conns = [c for c in r.connections if c.topic == "/alphapose/poses"]
        stamps = [bags.stamp_ns(ts.deserialize_cdr(raw, c.msgtype).header) for c, _, raw in r.messages(conns)]
    in_stamps = [bags.stamp_ns(h) for h, _, _ in bags.read_images(cam, "/camera/image_raw")]
    assert 20 <= len(stamps) < 80 and stamps == in_stamps[:len(stamps)]
    assert main(["--salvage", str(out)]) == 2  # a finished bag is not a leftover


@pytest.mark.fault("bag-killed")
def test_overwrite_replaces_a_killed_runs_leftover_and_two_runs_on_one_out_get_one_line(footage, mediapipe_models,
                                                                                         tmp_path, caplog):
    from alphapose_ros.core.io.bag_output import lock_path

    cam = _camera_bag(footage, tmp_path, frames=80)
    out = tmp_path / "poses_bag"
    with _run_killed_after(cam, out, 11) as proc:
        assert main(["--bag", str(cam), "--out", str(out), "--overwrite", "--detector", "hog"]) == 2
        assert f"(pid {proc.pid}) is writing {out}" in caplog.text
    assert lock_path(out).exists()  # the killed run's lock, taken over below
    assert main(["--bag", str(cam), "--out", str(out), "--overwrite", "--detector", "hog", "--max-frames", "3"]) == 0
    assert (out / "metadata.yaml").exists() and not lock_path(out).exists()


@pytest.mark.fault("disk-full")
def test_a_full_disk_during_a_bag_run_is_one_line_and_the_committed_frames_are_salvageable(
        footage, mediapipe_models, tmp_path, caplog, monkeypatch):
    import sqlite3

    from rosbags.rosbag2 import Reader, Writer

    from alphapose_ros.core.io import pose_bag

    cam = _camera_bag(footage, tmp_path, frames=40)
    commits = []

    def commit_until_full(writer):
        commits.append(1)
        if len(commits) == 3:  # after the copy and 10 frames, the disk fills up
            raise sqlite3.OperationalError("database or disk is full")
        real_commit(writer)

    def close_on_a_full_disk(writer):  # what closing does when the disk is full: nothing more is committed
        writer.abort()
        raise sqlite3.OperationalError("database or disk is full")

    real_commit = pose_bag.commit_pending
    monkeypatch.setattr(pose_bag, "commit_pending", commit_until_full)
    monkeypatch.setattr(Writer, "close", close_on_a_full_disk)
    out = tmp_path / "poses_bag"
    assert main(["--bag", str(cam), "--out", str(out), "--detector", "hog", "--no-copy"]) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "database or disk is full" in errors[0] and "--salvage" in errors[0]
    assert "Traceback" not in caplog.text
    monkeypatch.undo()  # space again
    assert main(["--salvage", str(out)]) == 0
    with Reader(out) as r:
        assert sum(c.msgcount for c in r.connections if c.topic == "/alphapose/poses") == 10
