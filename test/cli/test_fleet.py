"""alphapose-fleet on a local Ray cluster (2 CPUs) with small bags made from vtest.avi: each output equals
alphapose-bag's for that bag, and kills, corrupt bags and a second run on the same --out leave it so."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from alphapose_ros.cli.process_bag import main as bag_main

pytest.importorskip("ray", reason="ray (requirements/fleet.txt) is not installed: run scripts/setup.sh")

SHARD = ["--shard-frames", "8"]


@pytest.fixture(scope="module")
def bags(footage, mediapipe_models, tmp_path_factory):
    """Two camera bags (24 and 16 frames of vtest at 384x288) and what alphapose-bag writes for each."""
    from alphapose_ros.core.io.bags import video_to_bag

    root = tmp_path_factory.mktemp("fleet")
    made = {}
    for name, n, skip in (("walk_a", 24, 0), ("walk_b", 16, 300)):
        bag = root / "in" / name
        bag.parent.mkdir(exist_ok=True)
        video_to_bag(footage / "vtest.avi", bag, max_frames=n, size=(384, 288),
                     start_ns=1_700_000_000_000_000_000 + skip * 10**9)
        ref = root / "ref" / name
        ref.parent.mkdir(exist_ok=True)
        assert bag_main(["--bag", str(bag), "--out", str(ref), "--progress", "off", *SHARD]) == 0
        made[name] = (bag, ref)
    return made


def _fleet(args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "alphapose_ros.cli.fleet", "--progress", "off", *SHARD, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, **kw)


def _finish(p: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    try:
        out, _ = p.communicate(timeout=timeout)
    finally:
        _kill_group(p)
    return p.returncode, out


def _kill_group(p: subprocess.Popen) -> None:
    """Whatever the run left (a killed driver's Ray processes): gone before the next test."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _messages(bag: Path) -> dict:
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags

    ts, out = bags.typestore(), {}
    with Reader(bag) as r:
        for c, t, raw in r.messages():
            out.setdefault(c.topic, []).append((t, ts.deserialize_cdr(raw, c.msgtype) if c.topic == "/alphapose/poses"
                                                else raw))
    return out


def assert_same_bag(got: Path, want: Path, min_people: int = 21) -> None:
    """Every topic as in `want`; the pose messages with the same stamps and track IDs, keypoints within 1e-3 px."""
    a, b = _messages(got), _messages(want)
    assert sorted(a) == sorted(b)
    for topic in b:
        assert len(a[topic]) == len(b[topic]), topic
        if topic != "/alphapose/poses":
            assert a[topic] == b[topic], topic
    people = 0
    for (ta, ma), (tb, mb) in zip(a["/alphapose/poses"], b["/alphapose/poses"]):
        assert ta == tb and ma.header.stamp == mb.header.stamp
        assert [p.track_id for p in ma.poses] == [p.track_id for p in mb.poses]
        for pa, pb in zip(ma.poses, mb.poses):
            np.testing.assert_allclose(np.stack([pa.x, pa.y]), np.stack([pb.x, pb.y]), atol=1e-3)
            np.testing.assert_allclose(pa.keypoint_scores, pb.keypoint_scores, atol=1e-4)
        people += len(mb.poses)
    assert people >= min_people  # people were found: the comparison is not of empty messages


def test_each_output_bag_equals_what_alphapose_bag_writes_for_that_bag(bags, tmp_path):
    out = tmp_path / "out"
    rc, log = _finish(_fleet([str(bags["walk_a"][0]), str(bags["walk_b"][0]), "--out", str(out), "--workers", "2"]))
    assert rc == 0, log
    for name, (_, ref) in bags.items():
        assert_same_bag(out / name, ref)
    assert "2 of 2 bags done" in log and "driver peak memory" in log and "started a local Ray cluster (2 CPUs)" in log
    assert not (out / ".fleet" / "walk_a").exists()  # finished bags leave no shards behind


def test_a_named_pose_model_runs_on_the_workers_as_in_alphapose_bag(bags, tmp_path):
    """--pose-model (an RTMPose-layout .onnx, hog-small boxes): the same option on both commands, the same bag."""
    from alphapose_ros.synthetic import released_layouts

    model = released_layouts.simcc_file(tmp_path / "rtmpose.onnx")
    opts = ["--pose-model", str(model), "--no-copy"]
    ref = tmp_path / "ref"
    assert bag_main(["--bag", str(bags["walk_b"][0]), "--out", str(ref), "--progress", "off", *SHARD, *opts]) == 0
    rc, log = _finish(_fleet([str(bags["walk_b"][0]), "--out", str(tmp_path / "out"), "--workers", "2", *opts]))
    assert rc == 0, log
    # random weights on person-sized HOG boxes: few poses survive (5 here); the guard is only against empty bags
    assert_same_bag(tmp_path / "out" / "walk_b", ref, min_people=3)


def test_joining_a_running_cluster_with_address_gives_the_same_bag(bags, tmp_path):
    """--address: the run joins a cluster started apart (`ray start --head`, as on a real cluster's head node)
    instead of starting its own. The head runs in the foreground of a process group this test owns, so only
    its own cluster is stopped afterwards."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray_cli = str(Path(sys.executable).with_name("ray"))
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths live under it
    head = subprocess.Popen([ray_cli, "start", "--head", "--block", "--port", str(port), "--num-cpus", "2",
                             "--node-ip-address", "127.0.0.1", "--include-dashboard=false", "--temp-dir", temp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while not _listening(port):  # the head's GCS takes connections
            assert time.time() < deadline and head.poll() is None, "the head node did not come up"
            time.sleep(0.5)
        # Ray 2.60 clusters take a token (~/.ray/auth_token) that a client given an address sends in token mode
        rc, log = _finish(_fleet([str(bags["walk_b"][0]), "--out", str(tmp_path / "out"), "--workers", "2",
                                  "--address", address], env={**os.environ, "RAY_AUTH_MODE": "token"}))
    finally:
        _kill_group(head)
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)
    assert rc == 0, log
    assert f"joined the Ray cluster at {address} (2 CPUs" in log and "started a local Ray cluster" not in log
    assert_same_bag(tmp_path / "out" / "walk_b", bags["walk_b"][1])


@pytest.mark.fault("fleet-worker-killed")
def test_a_worker_killed_mid_shard_is_restarted_and_the_run_ends_with_the_same_bag(bags, tmp_path):
    out = tmp_path / "out"
    p = _fleet([str(bags["walk_a"][0]), "--out", str(out), "--workers", "2"])
    lines = []
    for line in p.stdout:
        lines.append(line)
        if "workers ready (pids" in line:
            break
    victim = int(line.split("pids ")[1].split(",")[0])
    time.sleep(1.0)  # the workers are into their first shards
    os.kill(victim, signal.SIGKILL)
    rc, rest = _finish(p)
    assert rc == 0, "".join(lines) + rest
    assert "will be retried" in rest  # Ray's word that the kill landed inside a shard
    assert_same_bag(out / "walk_a", bags["walk_a"][1])


@pytest.mark.fault("fleet-driver-killed")
def test_a_killed_driver_rerun_with_the_same_command_computes_only_the_missing_shards(bags, tmp_path):
    out = tmp_path / "out"
    args = [str(bags["walk_a"][0]), "--out", str(out), "--workers", "1"]
    p = _fleet(args)
    shards = out / ".fleet" / "walk_a"
    deadline = time.time() + 180
    while not list(shards.glob("shard-*.pkl")) and time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
    assert p.poll() is None, "the run ended before a kill could land"
    os.kill(p.pid, signal.SIGKILL)  # the driver only: its Ray cluster is left to notice
    p.wait()
    _kill_group(p)
    kept = len(list(shards.glob("shard-*.pkl")))
    assert kept >= 1 and not (out / "walk_a").exists()
    rc, log = _finish(_fleet(args))
    assert rc == 0, log
    assert f"resuming, {kept} of" in log
    assert_same_bag(out / "walk_a", bags["walk_a"][1])


@pytest.mark.fault("fleet-bad-bag")
def test_bad_bags_are_named_in_one_line_each_and_the_good_ones_finish(bags, tmp_path):
    from alphapose_ros.core.io.bags import typestore

    broken = tmp_path / "broken"  # a bag folder whose files are garbage
    broken.mkdir()
    (broken / "metadata.yaml").write_text("not: [a, bag")
    (broken / "broken_0.db3").write_bytes(os.urandom(4096))
    truncated = tmp_path / "truncated"  # the first 30% of a real bag's database
    truncated.mkdir()
    src = bags["walk_b"][0]
    for f in src.iterdir():
        data = f.read_bytes()
        (truncated / f.name.replace("walk_b", "truncated")).write_bytes(data[:len(data) * 3 // 10]
                                                                       if f.suffix == ".db3" else data)
    meta = truncated / "metadata.yaml"
    meta.write_text(meta.read_text().replace("walk_b", "truncated"))
    no_images = tmp_path / "no_images"  # a bag with no camera topic
    from rosbags.rosbag2 import Writer

    ts = typestore()
    with Writer(no_images, version=9) as w:
        c = w.add_connection("/chatter", "std_msgs/msg/String", typestore=ts)
        w.write(c, 1, ts.serialize_cdr(ts.types["std_msgs/msg/String"](data="hi"), "std_msgs/msg/String"))
    out = tmp_path / "out"
    rc, log = _finish(_fleet([str(broken), str(bags["walk_a"][0]), str(no_images), str(truncated),
                              "--out", str(out), "--workers", "2"]))
    assert rc == 1, log
    errors = [ln for ln in log.splitlines() if ln.startswith("alphapose-fleet:") and
              any(f"{n}: " in ln for n in ("broken", "no_images", "truncated"))]
    assert any(ln.startswith("alphapose-fleet: broken: cannot read it") for ln in errors), log
    assert any(ln.endswith("no_images: the bag has no image topic") for ln in errors), log
    assert any(ln.startswith("alphapose-fleet: truncated:") for ln in errors), log
    assert "Traceback" not in log
    assert "3 bags failed" in log and "1 of 4 bags done" in log
    assert_same_bag(out / "walk_a", bags["walk_a"][1])


@pytest.mark.fault("fleet-same-out")
def test_a_second_run_on_the_same_out_is_refused_while_the_first_goes_on(bags, tmp_path):
    out = tmp_path / "out"
    args = [str(bags["walk_b"][0]), "--out", str(out), "--workers", "1"]
    first = _fleet(args)
    lock = tmp_path / ".out.alphapose-bag.lock"
    deadline = time.time() + 60
    while not lock.exists() and time.time() < deadline:
        time.sleep(0.05)
    rc2, log2 = _finish(_fleet(args), timeout=60)
    assert rc2 == 2 and f"pid {first.pid}" in log2, log2
    rc, log = _finish(first)
    assert rc == 0, log
    assert_same_bag(out / "walk_b", bags["walk_b"][1])
