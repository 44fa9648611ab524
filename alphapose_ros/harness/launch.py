"""The graph as a user starts it (`ros2 launch alphapose_ros pipeline.launch.py`, or the package's runner where
no `ros2` command is installed), fed by a camera publishing real footage, and stopped the ways a launch gets
stopped (a terminal's Ctrl-C, SIGINT to the process group, SIGTERM)."""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import numpy as np

from alphapose_ros.ros.sync import stamp_key

FOOTAGE = Path(os.environ.get("ALPHAPOSE_ROS_FOOTAGE", "/usr/share/doc/opencv-doc/examples/data"))
STOPS = ("terminal", "group", "sigterm")
GRACE_S = 5.0  # launch's SIGINT -> SIGTERM escalation time


def has_ros2_launch() -> bool:
    try:
        import launch_ros  # noqa: F401
    except ImportError:
        return False
    return shutil.which("ros2") is not None


def launch_command(args: list[str]) -> list[str]:
    """`ros2 launch alphapose_ros pipeline.launch.py ARGS`."""
    return ["ros2", "launch", "alphapose_ros", "pipeline.launch.py", *args]


def runner_command() -> list[str]:
    return [sys.executable, "-m", "alphapose_ros.ros.runner"]


def clip(frames: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The first `frames` frames of vtest.avi (768x576), resized to `size` (w, h) if given."""
    import cv2

    cap = cv2.VideoCapture(str(FOOTAGE / "vtest.avi"))
    out = []
    while len(out) < frames:
        ok, f = cap.read()
        if not ok:
            break
        out.append(cv2.resize(f, size, interpolation=cv2.INTER_AREA) if size else f)
    if len(out) < frames:
        raise FileNotFoundError(f"need {frames} frames of {FOOTAGE / 'vtest.avi'} (Debian's opencv-doc)")
    return out


class Camera:
    """A camera publishing frames on `image_topic` (reliable or best effort) and a controller listening
    to the tracked poses on `poses_topic`, in a private rclpy context on `domain`."""

    def __init__(self, domain: int, image_topic: str, poses_topic: str, reliable: bool):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
        from sensor_msgs.msg import Image

        from alphapose_ros.msg import WholeBodyPoseArray

        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx, domain_id=domain)
        self.node = rclpy.create_node("camera_driver", context=self.ctx)
        self.image_topic, self.poses_topic = image_topic, poses_topic
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE) if reliable else qos_profile_sensor_data
        self.pub = self.node.create_publisher(Image, image_topic, qos)
        self.got: list = []
        self.node.create_subscription(WholeBodyPoseArray, poses_topic, self.got.append,
                                      QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE))
        self.ex = SingleThreadedExecutor(context=self.ctx)
        self.ex.add_node(self.node)
        threading.Thread(target=self.ex.spin, daemon=True).start()

    def wait_for_graph(self, proc: subprocess.Popen, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.pub.get_subscription_count() < 2 or self.node.count_publishers(self.poses_topic) < 1:
            if time.monotonic() > deadline or proc.poll() is not None:
                return False
            time.sleep(0.2)
        time.sleep(2.0)  # the managed nodes finish activating
        return True

    def stream(self, frames: list[np.ndarray], rate: float) -> list:
        """Publish the frames at `rate` Hz, stamped now; return their headers."""
        from sensor_msgs.msg import Image

        from alphapose_ros.core.io.image_msgs import bgr_to_image
        from alphapose_ros.ros.conversions import header_at

        headers, t0 = [], time.monotonic()
        for i, f in enumerate(frames):
            h = header_at(time.time(), "camera_optical_frame")
            self.pub.publish(bgr_to_image(f, h, Image))
            headers.append(h)
            time.sleep(max(0.0, t0 + (i + 1) / rate - time.monotonic()))
        return headers

    def wait_for_answer(self, frame: np.ndarray, timeout: float) -> bool:
        """Send `frame` every 0.5 s until the graph answers one (a process that just started loads its models
        and re-makes its camera subscription to match the publisher's reliability first: seconds, more on a
        loaded machine); then forget the answers, so what follows counts from zero."""
        deadline = time.monotonic() + timeout
        while not self.got and time.monotonic() < deadline:
            self.stream([frame], 2.0)
        answered = bool(self.got)
        self.drain(2.0)
        self.got.clear()
        return answered

    def drain(self, quiet_s: float = 5.0) -> None:
        n, t = len(self.got), time.monotonic()
        while time.monotonic() - t < quiet_s:
            time.sleep(0.2)
            if len(self.got) != n:
                n, t = len(self.got), time.monotonic()

    def close(self) -> None:
        import rclpy

        self.ex.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)


def start(cmd: list[str], env: dict, terminal: bool) -> tuple[subprocess.Popen, list[bytes], int | None]:
    """Start `cmd` as the leader of its own session, on a pseudo-terminal when `terminal` (so Ctrl-C
    typed there reaches its process group as from a real one). Output is collected in the returned list."""
    out: list[bytes] = []
    if terminal:
        master, slave = os.openpty()

        def attach() -> None:  # a new session whose controlling terminal is the pty
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(cmd, env=env, stdin=slave, stdout=slave, stderr=slave, preexec_fn=attach)
        os.close(slave)

        def read() -> None:
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                out.append(chunk)
        threading.Thread(target=read, daemon=True).start()
        return proc, out, master
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    threading.Thread(target=lambda: out.extend(iter(lambda: proc.stdout.read1(65536), b"")), daemon=True).start()
    return proc, out, None


def session_processes(sid: int) -> list[int]:
    """PIDs still alive in session `sid` (launch and every node it started)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(d.name))
    return pids


def stop(proc: subprocess.Popen, how: str, master: int | None, timeout: float = 30.0) -> dict:
    """Stop the graph `how` (terminal | group | sigterm) and time it until launch and every node it started
    have ended; anything still alive after `timeout` is counted, then killed."""
    t0 = time.monotonic()
    if how == "terminal":
        os.write(master, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground process group
    elif how == "group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        rc = None
    while session_processes(proc.pid) and time.monotonic() - t0 < timeout:
        time.sleep(0.05)
    seconds = time.monotonic() - t0
    left = session_processes(proc.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    if rc is None:
        rc = proc.wait()
    return {"stop": how, "stop_seconds": round(seconds, 2), "exit_code": rc, "processes_left": len(left)}


def run(cmd: list[str], frames: list[np.ndarray], rate: float, reliable: bool, how: str, domain: int,
        image_topic: str = "/image", poses_topic: str = "/poses", startup_timeout: float = 180.0,
        env: dict | None = None) -> dict:
    """One launch: wait for the graph, stream the frames, collect the outputs, stop it `how`."""
    env = dict(env if env is not None else os.environ, ROS_DOMAIN_ID=str(domain), PYTHONUNBUFFERED="1")
    proc, out, master = start(cmd, env, how == "terminal")
    cam = Camera(domain, image_topic, poses_topic, reliable)
    res: dict = {"command": " ".join(cmd), "camera": "reliable" if reliable else "best_effort",
                 "frames_in": 0, "poses_out": 0}
    try:
        res["graph_up"] = cam.wait_for_graph(proc, startup_timeout)
        if res["graph_up"]:
            sent = {stamp_key(h): h for h in cam.stream(frames, rate)}
            cam.drain()
            got = list(cam.got)
            res.update(frames_in=len(sent), poses_out=len(got),
                       headers_match=all(stamp_key(m.header) in sent and m.header.frame_id ==
                                         sent[stamp_key(m.header)].frame_id for m in got),
                       people_per_message=round(float(np.mean([len(m.poses) for m in got])), 2) if got else 0.0,
                       track_ids=sorted({p.track_id for m in got for p in m.poses}))
    finally:
        cam.close()
        res.update(stop(proc, how, master))
        if master is not None:
            os.close(master)
    log = b"".join(out).decode(errors="replace")
    res.update(tracebacks=log.count("Traceback"), process_died=log.count("process has died"), log=log)
    return res
