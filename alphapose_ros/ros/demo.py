"""The main job on a sample clip: the real pipeline over the ROS graph, outputs recorded.

    python -m alphapose_ros.ros.demo --video /usr/share/doc/opencv-doc/examples/data/vtest.avi \\
        [--frames 100] [--rate 10] [--width 0] [--loop] [--real-time] [--out demo_out] [--preset cpu] [--separate]

Starts the graph exactly as `run_pipeline` does (composed, or one process per node with
--separate), publishes the clip as a camera on /camera/image_raw (the video_camera node), and
streams what comes out into <out>/poses_bag (rosbag2: /poses with track IDs, /image_annotated), then
<out>/annotated.avi. Prints the graph's topics and a summary: frames answered, latency p50/p99, the
longest wait for an answer, where the time goes per stage, the graph's memory at the start, each quarter
and the end. Live QoS: a pipeline slower than the camera drops frames rather than falling behind (the
summary counts them). --width and --loop make a long, large camera from a short, small clip (an overload
test: 1920 px at 30 Hz for 60 s). The demo and its graph use config/dds/fastdds_large_images.xml (as
docs/ros.md asks of a camera driver) unless FASTDDS_DEFAULT_PROFILES_FILE is already set: Fast DDS's
default 512 KiB shared-memory segment cannot carry 1920-px frames at 30 Hz between processes. The longest
wait for an answer shows a graph that froze (docs/ros.md); its watchdog ends a frozen process
(ros/watchdog.py) and the demo starts it again, as launch's respawn does.
"""
from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from alphapose_ros.ros.graph import PRESETS, GraphOptions, plan
from alphapose_ros.ros.node_utils import node_env
from alphapose_ros.ros.runner import check_ended, commands, share_dir, stop_processes

CAMERA = "/camera/image_raw"
PROFILE_VAR = "FASTDDS_DEFAULT_PROFILES_FILE"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="alphapose-demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", required=True, help="the clip to publish as a camera")
    ap.add_argument("--frames", type=int, default=100, help="frames to publish (0: all)")
    ap.add_argument("--rate", type=float, default=10.0, help="camera rate in Hz (0: the clip's)")
    ap.add_argument("--width", type=int, default=0, help="camera frames resized to this width (0: the clip's)")
    ap.add_argument("--loop", action="store_true", help="replay the clip until --frames are sent")
    ap.add_argument("--real-time", action="store_true",
                    help="the clip at its own speed at any --rate (frames repeat), as a real camera sees a scene; "
                         "without it each image is the next frame, so at 30 Hz a 10 fps clip's people walk 3x fast")
    ap.add_argument("--out", default="demo_out", help="output folder")
    ap.add_argument("--preset", default="cpu", choices=PRESETS)
    ap.add_argument("--params-file", default="")
    ap.add_argument("--separate", action="store_true", help="one process per node")
    ap.add_argument("--startup-timeout", type=float, default=180.0, help="seconds to wait for the graph")
    return ap


class _Recorder:
    """Streams the graph's outputs into a rosbag2 as they arrive (one writer thread), so a long run holds
    only the frames still waiting to be written, never all of them; keeps the poses (small) and the
    stages' last /diagnostics for the summary. Annotated frames beyond `backlog` waiting (a disk slower
    than the camera) are counted as not recorded rather than held; poses are always recorded."""

    def __init__(self, node, bag: Path, backlog: int = 64):
        from sensor_msgs.msg import Image

        from alphapose_ros.msg import WholeBodyPoseArray
        from alphapose_ros.ros.qos import stage_qos

        from diagnostic_msgs.msg import DiagnosticArray

        self.poses, self.lock = [], threading.Lock()
        self.images = self.images_lost = self._waiting = 0
        self.backlog = backlog
        self.error = ""  # why the bag could not be written, if it could not
        self.stages: dict[str, dict[str, str]] = {}  # each stage's last /diagnostics values
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, args=(bag,), name="demo_recorder", daemon=True)
        self._thread.start()
        q = stage_qos(50)
        node.create_subscription(WholeBodyPoseArray, "/poses", self._on_poses, q)
        node.create_subscription(Image, "/image_annotated", self._on_image, q, raw=True)  # bytes, written as they come
        node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 50)

    def _on_diagnostics(self, msg) -> None:
        with self.lock:
            for st in msg.status:
                self.stages[st.hardware_id] = {kv.key: kv.value for kv in st.values}

    def _on_poses(self, msg) -> None:
        with self.lock:
            self.poses.append((time.time(), msg))
        self._queue.put(("/poses", msg))

    def _on_image(self, raw: bytes) -> None:
        with self.lock:
            if self._waiting >= self.backlog:
                self.images_lost += 1
                return
            self._waiting += 1
        self._queue.put(("/image_annotated", raw))

    def _write(self, bag: Path) -> None:
        """The writer thread: the bag is opened, written and closed here only (its SQLite connection
        belongs to one thread)."""
        from rclpy.serialization import serialize_message
        from rosbags.rosbag2 import Writer

        from alphapose_ros.core.io import bags

        ts = bags.typestore()
        try:
            with Writer(bag, version=9) as w:
                conns = {"/poses": w.add_connection("/poses", bags.POSE_TYPE, typestore=ts),
                         "/image_annotated": w.add_connection("/image_annotated", "sensor_msgs/msg/Image",
                                                              typestore=ts)}
                while (item := self._queue.get()) is not None:
                    topic, msg = item
                    if topic == "/poses":
                        w.write(conns[topic], bags.stamp_ns(msg.header), serialize_message(msg))
                        continue
                    w.write(conns[topic], bags.cdr_stamp_ns(msg), msg)
                    with self.lock:
                        self._waiting -= 1
                        self.images += 1
        except Exception as e:  # a full disk, say: reported by main, the poses kept in memory are still counted
            self.error = f"recording {bag} failed: {type(e).__name__}: {e}"

    def close(self) -> None:
        """Writes what is still waiting and closes the bag."""
        self._queue.put(None)
        self._thread.join()


def _write_video(bag: Path, out: Path) -> Path | None:
    """The recorded annotated frames as an MJPG video, read back from the bag one at a time."""
    from alphapose_ros.core.io import bags
    from alphapose_ros.core.io.video_out import AnnotatedVideo

    with AnnotatedVideo(out / "annotated.avi", fps=10) as video:
        for _, img, _ in bags.read_images(bag, "/image_annotated"):
            if img is not None:
                video.write(img)
    return video.path if video.frames else None


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    out = Path(a.out)
    if (out / "poses_bag").exists():
        print(f"alphapose-demo: {out / 'poses_bag'} exists; remove it or pass another --out", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    profile = Path(share_dir()) / "config" / "dds" / "fastdds_large_images.xml"
    env = dict(os.environ)
    set_here = not env.get(PROFILE_VAR) and profile.is_file()
    if set_here:  # the graph's nodes, and this process's camera while main runs (then as it was)
        env[PROFILE_VAR] = os.environ[PROFILE_VAR] = str(profile)
    # default camera QoS, as a user runs it: the nodes match the clip camera's reliable publisher
    p = plan(GraphOptions(image=CAMERA, preset=a.preset, params_file=a.params_file), share_dir())
    log = open(out / "graph.log", "w")
    cmds = commands(p, a.separate)
    procs = [subprocess.Popen(c, stdout=log, stderr=subprocess.STDOUT, env=node_env(env)) for c in cmds]
    restarts: list[float] = []  # wall-clock times graph processes were started again
    import rclpy
    from rclpy.parameter import Parameter

    from alphapose_ros.ros.node_utils import make_executor, spin_on_thread

    from alphapose_ros.ros.nodes.video_camera import VideoCameraNode

    rclpy.init()
    node = rclpy.create_node("alphapose_demo")
    bag = out / "poses_bag"
    rec = _Recorder(node, bag)
    ex = make_executor(2)  # the recorder, and the camera below, spin as the graph's nodes do
    ex.add_node(node)
    spinning = spin_on_thread(ex)
    camera = None
    try:
        deadline = time.monotonic() + a.startup_timeout
        want = sum(s.name in ("detection", "pose_estimation", "visualizer") for s in p.nodes)
        while node.count_subscribers(CAMERA) < want or node.count_publishers("/poses") < 1:
            if time.monotonic() > deadline or any(pr.poll() is not None for pr in procs):
                print(f"the graph did not come up (see {out / 'graph.log'})", file=sys.stderr)
                return 1
            time.sleep(0.2)
        time.sleep(1.0)  # let the managed nodes finish activating
        camera = VideoCameraNode("video_camera", parameter_overrides=[
            Parameter("video", value=a.video), Parameter("rate", value=float(a.rate)),
            Parameter("max_frames", value=int(a.frames)), Parameter("width", value=int(a.width)),
            Parameter("loop", value=bool(a.loop)), Parameter("real_time", value=bool(a.real_time))],
            cli_args=["--ros-args", "-r", f"image:={CAMERA}"])
        ex.add_node(camera)
        t0, started = time.monotonic(), time.time()
        memory = [_graph_rss_mb(procs)]  # once a second while the camera runs
        while not camera.done:
            time.sleep(0.1)
            restarts += _respawn(procs, cmds, log, env)
            if time.monotonic() - t0 >= len(memory):
                memory.append(_graph_rss_mb(procs))
        camera_s, ended = time.monotonic() - t0, time.time()
        last = len(rec.poses)
        quiet = time.monotonic()
        while time.monotonic() - quiet < 5.0:  # let the last frames drain
            time.sleep(0.2)
            restarts += _respawn(procs, cmds, log, env)
            if len(rec.poses) != last:
                last, quiet = len(rec.poses), time.monotonic()
        elapsed = time.monotonic() - t0
        topics = sorted(t for t, _ in node.get_topic_names_and_types())
    finally:
        stop_processes(procs, 15)
        spinning.clear()
        ex.shutdown()
        rclpy.try_shutdown()
        if set_here:
            os.environ.pop(PROFILE_VAR, None)
        rec.close()
    if rec.error:
        print(rec.error, file=sys.stderr)
        return 1
    video = _write_video(bag, out)
    _summary(camera.sent, rec, started, ended, elapsed, topics, bag, video)
    if restarts:
        after = sum(t > restarts[-1] for t, _ in rec.poses)
        print(f"graph processes restarted: {len(restarts)} (ended by themselves: a freeze the watchdog ended, or a "
              f"crash; see {out / 'graph.log'}); answers after the last restart: {after}")
    quarters = " -> ".join(f"{memory[min(len(memory) - 1, q * len(memory) // 4)]:.0f}" for q in range(5))
    print(f"answered {len(rec.poses) / camera_s:.1f} frames/s of a {camera.sent / camera_s:.1f} Hz camera; graph "
          f"memory (RSS, all its processes) at the start, each quarter of the run and the end: {quarters} MB")
    return 0 if rec.poses else 1


def _respawn(procs: list, cmds: list[list[str]], log, env: dict) -> list[float]:
    """Start again every graph process that has ended (as launch's respawn does); the times they were."""
    ended = check_ended(procs, cmds, "alphapose-demo",
                        lambda c: subprocess.Popen(c, stdout=log, stderr=subprocess.STDOUT, env=node_env(env)))
    return [time.time()] * len(ended)


def _graph_rss_mb(procs) -> float:
    """Resident memory of the graph's processes and their children, MB (Linux /proc)."""
    from alphapose_ros.bench.proc_stats import rss_mb

    pids = [p.pid for p in procs]
    for pid in list(pids):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return sum(rss_mb(pid) for pid in pids)


def _summary(sent: int, rec: _Recorder, started: float, ended: float, elapsed: float, topics: list[str],
             bag: Path, video: Path | None) -> None:
    """What the run gave; `started` and `ended`: the wall-clock times of the camera's first and last image."""
    import numpy as np

    people = [len(m.poses) for _, m in rec.poses]
    ids = {p.track_id for _, m in rec.poses for p in m.poses if p.track_id >= 0}
    lat = [t - (m.header.stamp.sec + m.header.stamp.nanosec * 1e-9) for t, m in rec.poses]
    print("topics in the graph:\n  " + "\n  ".join(topics))
    print(f"camera frames published: {sent} in {elapsed:.1f} s")
    print(f"tracked pose messages on /poses: {len(rec.poses)} ({sent - len(rec.poses)} frames dropped by the live "
          f"queues), {np.mean(people) if people else 0:.2f} people per frame, {len(ids)} track IDs")
    if lat:
        print(f"latency image stamp -> /poses: p50 {np.percentile(lat, 50) * 1e3:.0f} ms, "
              f"p99 {np.percentile(lat, 99) * 1e3:.0f} ms, max {max(lat) * 1e3:.0f} ms")
    if rec.poses:  # a graph that froze for a while shows here, however few frames it then missed
        times = [started] + [t for t, _ in rec.poses] + [max(ended, rec.poses[-1][0])]
        print(f"longest wait for an answer (from the first image to the last, between answers): "
              f"{np.diff(times).max():.2f} s")
    print(f"annotated frames on /image_annotated: {rec.images} recorded"
          + (f", {rec.images_lost} not recorded (the disk did not keep up)" if rec.images_lost else ""))
    print(where_the_time_goes(rec.stages))
    print(f"output bag: {bag}" + (f"\nannotated video: {video}" if video else ""))


def where_the_time_goes(stages: dict[str, dict[str, str]]) -> str:
    """Per stage (its last /diagnostics): frames in and out, its own processing time and the latency
    from the image stamp when it finished (the difference is waiting: queues, the GIL, other stages)."""
    rows = ["where the time goes (ms; each stage's /diagnostics):",
            f"  {'stage':16} {'in':>5} {'out':>5} {'process p50':>11} {'p99':>6} {'latency p50':>11} {'p99':>6}"]
    for name, v in stages.items():
        rows.append(f"  {name:16} {v.get('inputs', '-'):>5} {v.get('outputs', '-'):>5} "
                    f"{v.get('processing p50 (ms)', '-'):>11} {v.get('processing p99 (ms)', '-'):>6} "
                    f"{v.get('latency p50 (ms)', '-'):>11} {v.get('latency p99 (ms)', '-'):>6}")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
