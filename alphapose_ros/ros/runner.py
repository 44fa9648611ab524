"""Start the pipeline graph without the `launch` package (not installable everywhere): the
same nodes, parameter files and remappings as launch/pipeline.launch.py, from ros/graph.py.

    alphapose-pipeline [--image /camera/image_raw] [--preset cpu] [--separate] [--no-tracking]
        [--no-visualization] [--device cuda] [--use-sim-time] [--namespace ns] [--log-level info]
        [--image-transport compressed] [--depth /cam/depth] [--camera-info /cam/camera_info] [--hri]
        [--fall-detection] [--target-frame base_link] [--tf] [--robot-links config/robot_links_example.yaml]
        [--respawn] [--watchdog 30]

Composed (default): the `pipeline` container in this process. --separate: one process per
node (the `ros2 run` executables), stopped together on Ctrl-C or when one of them exits (--respawn: that one is
started again; a process that freezes ends after --watchdog s, ros/watchdog.py).
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

from alphapose_ros.ros.graph import ENGINES, PRESETS, TRANSPORTS, GraphOptions, GraphPlan, container_flags, plan, ros_arguments
from alphapose_ros.ros.watchdog import DEFAULT_TIMEOUT_S, WATCHDOG_VAR, timeout_from_env


def share_dir() -> str:
    """The installed share directory, or the source tree (config/ and launch/ sit there too)."""
    try:
        from ament_index_python.packages import get_package_share_directory

        return get_package_share_directory("alphapose_ros")
    except Exception:  # not installed through colcon: run from the source tree
        return str(Path(__file__).resolve().parents[2])


def executables_dir() -> Path:
    """Where the node executables are: the install space's lib/, or scripts/nodes in the source tree."""
    share = Path(share_dir())
    lib = share.parents[1] / "lib" / "alphapose_ros"
    return lib if (lib / "pipeline").exists() else Path(__file__).resolve().parents[2] / "scripts" / "nodes"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="alphapose-pipeline", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", default="image", help="camera image topic")
    ap.add_argument("--preset", default="cpu", choices=PRESETS, help="parameter overlay from config/presets")
    ap.add_argument("--params-file", default="", help="node parameters (default: config/pipeline.yaml)")
    ap.add_argument("--device", default="", help="cpu or cuda[:N] for every model (default: as configured)")
    ap.add_argument("--engine", default="", choices=("", *ENGINES),
                    help="torch, onnxruntime or openvino for every network (default: as configured)")
    ap.add_argument("--separate", action="store_true", help="one process per node instead of one for all")
    ap.add_argument("--no-detection", action="store_true",
                    help="leave the detection node out (a one-stage pose model, RTMO, finds the people)")
    ap.add_argument("--no-tracking", action="store_true", help="leave tracking out (poses without IDs)")
    ap.add_argument("--no-visualization", action="store_true", help="leave the visualiser out")
    ap.add_argument("--use-sim-time", action="store_true", help="follow /clock (ros2 bag play --clock)")
    ap.add_argument("--camera-reliable", action="store_true",
                    help="subscribe to the camera reliably (for a reliable camera with large images)")
    ap.add_argument("--no-autostart", action="store_true", help="leave managed nodes unconfigured")
    ap.add_argument("--namespace", default="", help="namespace of every node and topic")
    ap.add_argument("--respawn", action="store_true",
                    help="restart a node process that ends by itself, a freeze the watchdog ended or a crash (else "
                         "the runner stops and exits 1); composed, the container then runs as a child process")
    ap.add_argument("--watchdog", type=float, default=DEFAULT_TIMEOUT_S,
                    help="s a frozen node process (no Python thread can run) lives before it ends with exit code 1 "
                         "(ros/watchdog.py); 0: off")
    ap.add_argument("--image-transport", default="raw", choices=TRANSPORTS,
                    help="compressed: every node reading images subscribes to <image>/compressed")
    ap.add_argument("--depth", default="", help="registered depth image topic (16UC1 mm / 32FC1 m): 3D keypoints")
    ap.add_argument("--camera-info", default="", help="colour camera_info topic (default: beside the image topic)")
    ap.add_argument("--hri", action="store_true", help="publish ROS4HRI (REP-155) bodies under /humans/bodies")
    ap.add_argument("--fall-detection", action="store_true", help="run the fall-detection node")
    ap.add_argument("--target-frame", default="", help="frame of every 3D output (base_link, map, ...) via /tf")
    ap.add_argument("--tf", action="store_true", help="a TF frame body_b<track ID> per tracked person on /tf")
    ap.add_argument("--robot-links", default="", help="YAML of the robot's links: each person's distance to the robot")
    ap.add_argument("--log-level", default="info", choices=("debug", "info", "warn", "error", "fatal"),
                    help="logging level of every node")
    return ap


def options(a: argparse.Namespace) -> GraphOptions:
    return GraphOptions(image=a.image, preset=a.preset, params_file=a.params_file, device=a.device, engine=a.engine,
                        detection=not a.no_detection, tracking=not a.no_tracking,
                        visualization=not a.no_visualization,
                        use_sim_time=a.use_sim_time, autostart=not a.no_autostart, namespace=a.namespace,
                        camera_reliable=a.camera_reliable, image_transport=a.image_transport, depth=a.depth,
                        camera_info=a.camera_info, hri=a.hri, fall_detection=a.fall_detection,
                        target_frame=a.target_frame, tf=a.tf, robot_links=a.robot_links)


def commands(p: GraphPlan, separate: bool, namespace: str = "", log_level: str = "info") -> list[list[str]]:
    """The command line of every process the plan needs."""
    exe = executables_dir()
    ros = ros_arguments(p, namespace)
    ros[1:1] = ["--log-level", log_level]
    if not separate:
        return [[sys.executable, str(exe / "pipeline"), *container_flags(p), *ros]]
    return [[sys.executable, str(exe / s.executable), *ros[:1], "-r", f"__node:={s.name}", *ros[1:]]
            for s in p.nodes]


def stop_processes(procs: list[subprocess.Popen], timeout: float = 10.0) -> None:
    """Ctrl-C every process still running (nodes shut down cleanly on SIGINT), kill stragglers."""
    for pr in procs:
        if pr.poll() is None:
            pr.send_signal(signal.SIGINT)
    for pr in procs:
        try:
            pr.wait(timeout)
        except subprocess.TimeoutExpired:
            pr.kill()


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    try:
        p = plan(options(a), share_dir())
    except ValueError as e:
        print(f"alphapose-pipeline: {e}", file=sys.stderr)
        return 2
    try:  # the node processes read it; composed without --respawn, so does this one
        os.environ[WATCHDOG_VAR] = f"{timeout_from_env({WATCHDOG_VAR: str(a.watchdog)}):g}"
    except ValueError as e:
        print(f"alphapose-pipeline: --watchdog: {e}", file=sys.stderr)
        return 2
    cmds = commands(p, a.separate, a.namespace, a.log_level)
    if not a.separate and not a.respawn:
        from alphapose_ros.ros.container import main as container

        container(cmds[0][1:])
        return 0
    return supervise(cmds, a.respawn)


def supervise(cmds: list[list[str]], respawn: bool = False) -> int:
    """Run one process per command until SIGINT, SIGTERM or SIGHUP (then stop them all and return 0 when
    they all ended cleanly) or until one ends by itself: reported by name and exit code, then restarted
    with `respawn`, else the others are stopped and 1 returned (a supervisor sees the failure)."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    from alphapose_ros.ros.node_utils import node_env

    procs = [subprocess.Popen(c, env=node_env()) for c in cmds]
    ended: list[tuple[str, int]] = []
    while not stop.is_set():
        ended += check_ended(procs, cmds, "alphapose-pipeline",
                             (lambda c: subprocess.Popen(c, env=node_env())) if respawn else None)
        if ended and not respawn:
            break
        stop.wait(0.5)
    stop_processes(procs)
    if ended and not respawn:  # the graph is incomplete: say so, and fail
        print("alphapose-pipeline: stopped the other nodes", file=sys.stderr)
        return 1
    return 0 if all(pr.returncode == 0 for pr in procs) else 1


def check_ended(procs: list[subprocess.Popen], cmds: list[list[str]], who: str,
                start: Callable[[list[str]], subprocess.Popen] | None) -> list[tuple[str, int]]:
    """Report each process that has ended by name and exit code, and with `start` start it again in its
    place (restart as launch's respawn does); the (name, code) of each that ended."""
    ended = []
    for i, (c, pr) in enumerate(zip(cmds, procs)):
        if pr.poll() is not None:
            ended.append((Path(c[1]).name, pr.returncode))
            print(f"{who}: {ended[-1][0]} exited with code {pr.returncode}" + ("; restarting it" if start else ""),
                  file=sys.stderr, flush=True)
            if start:
                procs[i] = start(c)
    return ended


if __name__ == "__main__":
    sys.exit(main())
