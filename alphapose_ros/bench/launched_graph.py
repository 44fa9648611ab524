"""The graph as a user starts it: `ros2 launch alphapose_ros pipeline.launch.py` with default arguments,
fed by a camera, then stopped the ways a launch gets stopped.

    python -m alphapose_ros.bench.launched_graph [--frames 20] [--rate 4] [--json launch.json]

For each camera reliability (a reliable publisher, as most drivers and `ros2 bag play` are; a best-effort
one, as sensor-data drivers are) and each way of stopping (Ctrl-C on a terminal, SIGINT to the whole
process group as a script or a terminal-less container does, SIGTERM to launch as a supervisor does):
frames in vs tracked pose messages out for vtest.avi's 768x576 frames at --rate Hz, whether every output
carries its input's header, and the stop's duration, exit code, tracebacks and surviving processes.
Needs the `ros2` command with launch (any ROS 2 installation); without it the package's runner
(`alphapose-pipeline`, the same graph) is started instead, and the report says so.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from alphapose_ros.harness.launch import GRACE_S, STOPS, clip, has_ros2_launch, launch_command, run, runner_command


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m alphapose_ros.bench.launched_graph", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--rate", type=float, default=4.0, help="camera rate in Hz")
    ap.add_argument("--cameras", default="reliable,best_effort")
    ap.add_argument("--stops", default=",".join(STOPS))
    ap.add_argument("--size", default="768x576", help="frame size WxH (vtest.avi resized)")
    ap.add_argument("--camera-profile", default="",
                    help="Fast DDS profile for the camera's process (e.g. config/dds/fastdds_large_images.xml)")
    ap.add_argument("--json", default="", help="write every run (logs included) here")
    a = ap.parse_args(argv)
    if a.camera_profile:  # read when this process creates its first DDS participant (the camera)
        os.environ["FASTDDS_DEFAULT_PROFILES_FILE"] = str(Path(a.camera_profile).resolve())
    w, h = (int(v) for v in a.size.split("x"))
    frames = clip(a.frames, (w, h))
    launch = has_ros2_launch()
    cmd = launch_command([]) if launch else runner_command()
    if not launch:
        print("no `ros2 launch` here: starting the same graph with alphapose-pipeline")
    runs = []
    env = {k: v for k, v in os.environ.items() if k != "FASTDDS_DEFAULT_PROFILES_FILE"}  # the graph: defaults
    for i, (camera, how) in enumerate((c, s) for c in a.cameras.split(",") for s in a.stops.split(",")):
        r = run(cmd, frames, a.rate, camera == "reliable", how, domain=150 + (os.getpid() + i) % 80, env=env)
        runs.append(r)
        profile = " (profile)" if a.camera_profile else ""
        print(f"{a.size} {camera:>11} camera{profile}, stop by {how:>7}: frames in {r['frames_in']}, "
              f"tracked pose messages out {r['poses_out']}, headers match {r.get('headers_match')}, "
              f"{r.get('people_per_message', 0)} people "
              f"per message | stop {r['stop_seconds']} s (launch grace {GRACE_S:g} s), exit code {r['exit_code']}, "
              f"tracebacks {r['tracebacks']}, 'process has died' {r['process_died']}, processes left "
              f"{r['processes_left']}", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(runs, indent=1))
    return 0 if all(r["poses_out"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
