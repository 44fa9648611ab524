"""How often a camera that outruns the graph freezes it: the demo's overload run, repeated.

    python -m alphapose_ros.bench.overload_freezes [--runs 5] [--frames 900] [--rate 30] [--width 1920]
        [--profile config/dds/fastdds_large_images.xml] [--clear-shm] [--watchdog 30]

Each run is a fresh demo process (`alphapose_ros.ros.demo`, the clip looped at --width px and --rate Hz)
with the Fast DDS profile --profile (default: the package's). A run counts as frozen when the demo's
longest wait for an answer is over --frozen-s seconds (a graph process stuck in a failing camera take,
as the middleware's image deserialization was before the nodes took images serialized, answers nothing
for the rest of the run; docs/ros.md). Prints each run's answers and longest wait, then
the frozen runs out of all, and how many of them answered again once the demo restarted the graph
process its watchdog ended (ros/watchdog.py; --watchdog s). --clear-shm removes stale Fast DDS segments
from /dev/shm before each run: only when nothing else of Fast DDS runs on the machine.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alphapose_ros.ros.watchdog import WATCHDOG_VAR

FOOTAGE = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


@dataclass
class Run:
    answered: int
    longest_wait_s: float
    restarts: int = 0            # graph processes the demo started again (a freeze the watchdog ended)
    after_restart: int = 0       # answers after the last of them


def parse_run(text: str) -> Run | None:
    """The answers, the longest wait and the restarts a demo printed; None when it printed no summary."""
    answered = re.search(r"tracked pose messages on /poses: (\d+)", text)
    wait = re.search(r"longest wait for an answer[^:]*: ([0-9.]+) s", text)
    restarted = re.search(r"graph processes restarted: (\d+).*answers after the last restart: (\d+)", text)
    if answered is None:
        return None
    return Run(int(answered.group(1)), float(wait.group(1)) if wait else float("inf"),
               *(map(int, restarted.groups()) if restarted else (0, 0)))


def clear_shm() -> None:
    for f in glob.glob("/dev/shm/fastdds_*") + glob.glob("/dev/shm/sem.fastdds_*"):
        try:
            os.remove(f)
        except OSError:
            pass


def one_run(video: str, frames: int, rate: float, width: int, profile: str, out: Path, watchdog: str = ""
            ) -> tuple[Run | None, str]:
    env = dict(os.environ)
    if watchdog:
        env[WATCHDOG_VAR] = watchdog
    if profile:
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(Path(profile).resolve())
    cmd = [sys.executable, "-m", "alphapose_ros.ros.demo", "--video", video, "--frames", str(frames),
           "--rate", str(rate), "--width", str(width), "--loop", "--out", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return parse_run(done.stdout), done.stdout + done.stderr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="overload_freezes", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", default=FOOTAGE)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--frames", type=int, default=900, help="camera frames per run")
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--profile", default="", help="Fast DDS profile (default: the package's large-image one)")
    ap.add_argument("--frozen-s", type=float, default=5.0, help="a longer wait for an answer counts as frozen")
    ap.add_argument("--clear-shm", action="store_true", help="clear /dev/shm of Fast DDS segments before each run")
    ap.add_argument("--watchdog", default="", help=f"s before a frozen graph process ends and the demo restarts it "
                                                   f"(ros/watchdog.py; default: {WATCHDOG_VAR} or 30; 0: off)")
    a = ap.parse_args(argv)
    if not Path(a.video).is_file():
        print(f"overload_freezes: no video {a.video} (Debian's opencv-doc has vtest.avi)", file=sys.stderr)
        return 2
    frozen = failed = recovered = 0
    for i in range(1, a.runs + 1):
        if a.clear_shm:
            clear_shm()
        out = Path(tempfile.mkdtemp(prefix="overload_freezes_"))
        try:
            run, log = one_run(a.video, a.frames, a.rate, a.width, a.profile, out / "demo", a.watchdog)
        finally:
            shutil.rmtree(out, ignore_errors=True)  # the recording: GBs at 1920 px
        if run is None:
            failed += 1
            print(f"run {i}: the demo printed no summary; its output ends: {log[-300:]!r}")
            continue
        stuck = run.longest_wait_s > a.frozen_s
        frozen += stuck
        recovered += stuck and run.after_restart > 0
        restarted = f", {run.restarts} graph restarts, {run.after_restart} answers after the last" \
            if run.restarts else ""
        print(f"run {i}: {run.answered} of {a.frames} frames answered, longest wait for an answer "
              f"{run.longest_wait_s:.2f} s{' (frozen)' if stuck else ''}{restarted}")
    print(f"frozen: {frozen} of {a.runs - failed} runs, answering again after a restart: {recovered} "
          f"({a.width} px at {a.rate:g} Hz, {a.frames} frames each, profile {a.profile or 'the package default'})"
          + (f"; {failed} runs gave no summary" if failed else ""))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
