"""How often tracks break on real footage that has no track labels: crop tracking vs the detector on
every frame.

    python -m alphapose_ros.bench.track_fragments [--frames 400] [--detector hog-small]

Runs the no-download pipeline (detector + MediaPipe poses + pose NMS + MSIM tracking) over the first
--frames frames of vtest.avi in both modes and prints, per mode, the track IDs it gave, those lasting 10
frames or more, those lasting one frame, the jumps (an ID whose box centre moves more than its height
between consecutive frames: an ID passed to someone else) and frames/s. vtest has no track labels, so
this stands in for counting ID switches: a person whose track breaks comes back under a new ID, so for
the same people fewer IDs and fewer one-frame IDs mean fewer breaks, and the jump count shows whether
IDs were saved by handing them from one person to another.
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alphapose_ros.bench.real_people import build, read_video
from alphapose_ros.core.crop_tracking import CropTracker
from alphapose_ros.core.pipeline import FramePipeline, PoseNMSConfig, nms_params_for
from alphapose_ros.core.tracking.msim import MSIMTracker

FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


@dataclass
class Fragments:
    ids: int
    lasting: int      # IDs on >= 10 frames
    one_frame: int
    jumps: int
    poses: int
    frames_per_s: float


def fragments(tracks: dict[int, list[tuple[int, np.ndarray]]], frames: int, seconds: float) -> Fragments:
    """Figures from each ID's (frame, box tlbr) list."""
    jumps = 0
    for seen in tracks.values():
        seen.sort(key=lambda fb: fb[0])
        for (f0, a), (f1, b) in zip(seen, seen[1:]):
            if f1 == f0 + 1 and np.linalg.norm((a[:2] + a[2:] - b[:2] - b[2:]) / 2) > max(a[3] - a[1], 1.0):
                jumps += 1
    lengths = [len(v) for v in tracks.values()]
    return Fragments(len(tracks), sum(n >= 10 for n in lengths), sum(n == 1 for n in lengths), jumps,
                     sum(lengths), frames / max(seconds, 1e-9))


def run_mode(video: Path, frames: int, detector: str, crop_tracking: bool) -> Fragments:
    det, est = build(detector, 0)
    pipe = FramePipeline(est, det, PoseNMSConfig("parametric", nms_params_for(est)), MSIMTracker(),
                         crop_tracker=CropTracker() if crop_tracking else None)
    tracks: dict[int, list] = defaultdict(list)
    n, t0 = 0, time.perf_counter()
    for item in pipe.run(read_video(video, None, frames - 1)):
        n += 1
        if item.error is None:
            p = item.data["poses"]
            for tid, box in zip(p.track_ids, p.boxes):
                tracks[int(tid)].append((item.payload.meta, np.asarray(box, np.float64)))
    return fragments(tracks, n, time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, default=FOOTAGE)
    ap.add_argument("--frames", type=int, default=400)
    ap.add_argument("--detector", default="hog-small")
    a = ap.parse_args(argv)
    rows = {"detector every frame": run_mode(a.video, a.frames, a.detector, False),
            "crop tracking (default)": run_mode(a.video, a.frames, a.detector, True)}
    print(f"{a.video.name}, first {a.frames} frames, {a.detector} + MediaPipe, MSIM tracking")
    print("| mode | track IDs | on >= 10 frames | on 1 frame | jumps | poses | frames/s |\n|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r.ids} | {r.lasting} | {r.one_frame} | {r.jumps} | {r.poses} | {r.frames_per_s:.1f} |")
    return {k: vars(v) for k, v in rows.items()}


if __name__ == "__main__":
    main()
