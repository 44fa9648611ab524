"""alphapose-fleet on this machine: frames/s with 1 and 2 workers (the ratio measured in one run), the
driver's peak memory with 1 and with 20 bags, and what cutting a bag into shards costs the tracks.

    python -m alphapose_ros.bench.fleet [--frames 300] [--shard-frames 25] [--small-bags 20] [--cost-frames 0]

Bags are made from vtest.avi (768x576). Each run is the real command in its own process (its driver
prints its peak memory); frames/s counts from the moment the workers are up (Ray's start and the models'
loading excluded; both are printed). Each worker has one CPU: its torch/OpenCV/LiteRT threads are capped to
one and its stages run one after another, so two workers use the two cores. The shard cost compares
alphapose-bag with shards of the default size and of --shard-frames against one long shard (0) on all of
vtest (--cost-frames): poses found and the track figures of bench.track_fragments (a shard restart can
break a track: a new ID for the same person).
"""
from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from alphapose_ros.bench.track_fragments import FOOTAGE, fragments

SUMMARY = re.compile(r"(\d+) frames in ([\d.]+) s \(([\d.]+) frames/s; ([\d.]+) once the workers were up\), "
                     r"driver peak memory (\d+) MB")
WRITTEN = re.compile(r": (\d+) frames \(.*written in ([\d.]+) s")


def fleet(bags: list[Path], out: Path, workers: int, shard_frames: int) -> dict:
    """Run alphapose-fleet; its summary figures."""
    cmd = [sys.executable, "-m", "alphapose_ros.cli.fleet", *map(str, bags), "--out", str(out), "--workers",
           str(workers), "--shard-frames", str(shard_frames), "--progress", "off"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    m = SUMMARY.search(p.stderr)
    if p.returncode or not m:
        raise RuntimeError(f"alphapose-fleet failed ({p.returncode}):\n{p.stderr[-3000:]}")
    written = [(int(w[1]), float(w[2])) for w in WRITTEN.finditer(p.stderr)]
    return {"frames": int(m[1]), "seconds": float(m[2]), "fps": float(m[3]), "working_fps": float(m[4]),
            "driver_mb": int(m[5]), "written_fps": sum(n for n, _ in written) / max(sum(t for _, t in written), 1e-9)}


def track_figures(bag: Path) -> tuple[int, object]:
    """(poses, bench.track_fragments figures) of an output bag's tracked poses."""
    from rosbags.rosbag2 import Reader

    from alphapose_ros.core.io import bags

    ts, tracks, poses, frames = bags.typestore(), defaultdict(list), 0, 0
    with Reader(bag) as r:
        conns = [c for c in r.connections if c.topic == "/alphapose/poses"]
        for i, (c, _, raw) in enumerate(r.messages(connections=conns)):
            m = ts.deserialize_cdr(raw, c.msgtype)
            frames += 1
            for p in m.poses:
                tracks[p.track_id].append((i, np.asarray(p.box, np.float64)))
                poses += 1
    return poses, fragments(tracks, frames, 1.0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=300, help="frames of vtest in the scaling bag")
    ap.add_argument("--shard-frames", type=int, default=25)
    ap.add_argument("--small-bags", type=int, default=20, help="bags of 10 frames for the memory figure")
    ap.add_argument("--cost-frames", type=int, default=0, help="frames of vtest for the shard cost (0: all)")
    a = ap.parse_args(argv)

    from alphapose_ros.cli.bag_args import SHARD_FRAMES
    from alphapose_ros.cli.process_bag import main as bag_main
    from alphapose_ros.core.io.bags import video_to_bag

    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        tmp = Path(tmp)
        big = tmp / "in" / "vtest"
        video_to_bag(FOOTAGE, big, max_frames=a.frames)
        runs = {w: fleet([big], tmp / f"out{w}", w, a.shard_frames) for w in (1, 2)}
        print(f"vtest, {a.frames} frames, shards of ~{a.shard_frames} frames, 1 CPU per worker:")
        for w, r in runs.items():
            print(f"  {w} worker{'s' if w > 1 else ''}: {r['working_fps']:.2f} frames/s once up "
                  f"({r['fps']:.2f} with Ray's start and the models' loading: {r['seconds']:.1f} s)")
        print(f"  2 workers / 1 worker: {runs[2]['working_fps'] / runs[1]['working_fps']:.2f}x "
              f"(target >= 1.7x)")
        print(f"  the driver's sequential end (tracking, smoothing, the output bag with the camera images copied): "
              f"{runs[2]['written_fps']:.0f} frames/s")

        small = []
        for i in range(a.small_bags):
            small.append(tmp / "small" / f"cam{i:02d}")
            video_to_bag(FOOTAGE, small[-1], max_frames=10, start_ns=1_700_000_000_000_000_000 + i * 10**10)
        one, many = fleet(small[:1], tmp / "one", 2, a.shard_frames), fleet(small, tmp / "many", 2, a.shard_frames)
        print(f"driver peak memory: 1 bag {one['driver_mb']} MB, {a.small_bags} bags {many['driver_mb']} MB "
              f"({many['frames']} frames)")

        whole = tmp / "in" / "vtest_all"
        n = video_to_bag(FOOTAGE, whole, max_frames=a.cost_frames)
        print(f"shard cost (alphapose-bag on {n} frames of vtest):")
        logging.disable(logging.INFO)  # the runs' own lines
        for shard in (0, SHARD_FRAMES, a.shard_frames):
            out = tmp / f"bag{shard}"
            t = time.perf_counter()
            assert bag_main(["--bag", str(whole), "--out", str(out), "--shard-frames", str(shard), "--progress",
                             "off"]) == 0
            dt = time.perf_counter() - t
            poses, f = track_figures(out)
            print(f"  --shard-frames {shard:>3}: {poses} poses, {f.ids} IDs ({f.lasting} lasting >= 10 frames, "
                  f"{f.one_frame} one-frame, {f.jumps} jumps), {n / dt:.2f} frames/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
