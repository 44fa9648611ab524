"""The real `ros2 launch alphapose_ros pipeline.launch.py` (upstream launch and launch_ros; in CI from
../shared/ros-python): every documented argument is listed; with default and changed arguments a camera's
frames come out as tracked poses with the camera's headers; and every way a launch is stopped ends every
process cleanly, with no traceback and exit code 0, inside launch's grace period."""
import os
import re
import signal
import subprocess
import time

import pytest
from conftest import skip_without_shared

from alphapose_ros.harness.launch import (GRACE_S, Camera, clip, has_ros2_launch, launch_command, run,
                                          session_processes, start, stop)
from alphapose_ros.ros.graph import LAUNCH_ARGUMENTS

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def ros2_launch(vision_msgs):
    if not has_ros2_launch():
        skip_without_shared("the `ros2` command with launch_ros (a ROS 2 installation's, or ros-python/ "
                            "sourced by scripts/test.sh)")


def test_show_args_lists_every_launch_argument(ros2_launch):
    out = subprocess.run(launch_command(["--show-args"]), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    listed = dict(re.findall(r"'(\w+)':\n.*?\(default: '([^']*)'\)", out.stdout, re.S))
    assert listed == {name: default for name, default, _ in LAUNCH_ARGUMENTS}


CASES = [  # launch arguments, camera topic, poses topic, camera reliability, how it is stopped
    pytest.param([], "/image", "/poses", True, "terminal", id="defaults-reliable-camera-ctrl-c"),
    pytest.param(["use_composition:=false"], "/image", "/poses", False, "group",
                 id="separate-processes-best-effort-camera-group-sigint"),
    pytest.param(["tracking:=false", "image:=/cam/image_raw"], "/cam/image_raw", "/poses", True, "sigterm",
                 id="no-tracking-remapped-image-sigterm"),
    pytest.param(["namespace:=robot1"], "/robot1/image", "/robot1/poses", False, "group",
                 id="namespace-group-sigint"),
]


@pytest.mark.fault("signals")
@pytest.mark.parametrize("args, image, poses, reliable, how", CASES)
def test_launched_graph_tracks_camera_frames_and_stops_cleanly(ros2_launch, footage, mediapipe_models,
                                                              args, image, poses, reliable, how):
    # best effort: frames that fit Fast DDS's default shared-memory segment (larger ones need the camera's
    # process to use config/dds/fastdds_large_images.xml, measured by bench_launch)
    frames = clip(12, None if reliable else (480, 360))
    # 2 Hz: inside what the graph keeps up with on 2 loaded cores, so a missing frame means lost input, not
    # a live queue dropping a frame it had no time for (bench_launch measures 4 Hz)
    r = run(launch_command(args), frames, 2.0, reliable, how, domain=40 + (os.getpid() + len(args)) % 60,
            image_topic=image, poses_topic=poses)
    log = r.pop("log")
    assert r["graph_up"], log[-3000:]
    assert 3 * r["poses_out"] >= 2 * r["frames_in"], (r, log[-3000:])
    assert r["headers_match"] and r["people_per_message"] > 0, r
    if "tracking:=false" in args:
        assert r["track_ids"] == [-1], r
    else:
        assert r["track_ids"] and min(r["track_ids"]) >= 0, r
    # upstream launch ends itself by SIGTERM's default action (-15) and leaves its nodes to stop on their own
    assert r["exit_code"] == (-15 if how == "sigterm" else 0) and r["processes_left"] == 0, (r, log[-3000:])
    assert r["tracebacks"] == 0 and r["process_died"] == 0, log[-3000:]
    assert r["stop_seconds"] < GRACE_S, r


def _container_pids(session: int) -> list[int]:
    """The `pipeline` container processes (the composed graph) in a launch's session."""
    from pathlib import Path

    pids = []
    for pid in session_processes(session):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"/pipeline") for a in argv[:2]):
            pids.append(pid)
    return pids


@pytest.mark.fault("node-process-freezes")
def test_a_graph_process_that_ends_by_itself_is_started_again_and_answers(ros2_launch, footage, mediapipe_models):
    # what the freeze watchdog does to a frozen container (exit 1) stands here as SIGKILL: either way launch
    # sees a node process end while it is not shutting down, and respawn (the default) starts it again
    env = dict(os.environ, ROS_DOMAIN_ID=str(40 + os.getpid() % 60), PYTHONUNBUFFERED="1")
    proc, out, _ = start(launch_command([]), env, False)
    cam = Camera(int(env["ROS_DOMAIN_ID"]), "/image", "/poses", True)
    frames = clip(6)
    try:
        assert cam.wait_for_graph(proc, 180), b"".join(out).decode(errors="replace")[-3000:]
        (first,) = _container_pids(proc.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while [p for p in _container_pids(proc.pid) if p != first] == [] and time.monotonic() < deadline:
            time.sleep(0.2)
        again = [p for p in _container_pids(proc.pid) if p != first]
        assert again, b"".join(out).decode(errors="replace")[-3000:]
        assert cam.wait_for_graph(proc, 180)
        assert cam.wait_for_answer(frames[0], 120), b"".join(out).decode(errors="replace")[-3000:]
        cam.stream(frames, 2.0)
        cam.drain()
        assert len(cam.got) >= 4, (len(cam.got), b"".join(out).decode(errors="replace")[-3000:])
    finally:
        cam.close()
        r = stop(proc, "group", None)
    assert r["exit_code"] == 0 and r["processes_left"] == 0, r
