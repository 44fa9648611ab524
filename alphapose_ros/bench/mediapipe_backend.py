"""Benchmark the MediaPipe pose backend: per-frame pose time for 1 and 5 people, crops batched
vs one at a time, Halpe-26 and Halpe-136, on vtest.avi person boxes (HOG).

    python -m alphapose_ros.bench.mediapipe_backend [--repeats 10] [--threads 2]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.bench.detectors import FOOTAGE


def five_people(video: Path) -> tuple[np.ndarray, np.ndarray]:
    """The first frame where HOG finds at least 5 people, and 5 of its boxes."""
    from alphapose_ros.core.detectors.hog import HogDetector

    hog, cap = HogDetector(), cv2.VideoCapture(str(video))
    while True:
        ok, f = cap.read()
        if not ok:
            raise SystemExit(f"no frame with 5 people in {video}")
        boxes = hog.detect([f])[0].boxes
        if len(boxes) >= 5:
            return cv2.cvtColor(f, cv2.COLOR_BGR2RGB), boxes[:5]


def ms_per_frame(est, rgb: np.ndarray, boxes: np.ndarray, repeats: int) -> float:
    est(rgb, boxes)
    t = time.perf_counter()
    for _ in range(repeats):
        est(rgb, boxes)
    return (time.perf_counter() - t) / repeats * 1e3


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, default=FOOTAGE)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2, help="LiteRT threads per model")
    a = ap.parse_args(argv)
    from alphapose_ros.core.mediapipe.estimator import MediaPipePoseEstimator

    rgb, boxes = five_people(a.video)
    print(f"{a.video.name} {rgb.shape[1]}x{rgb.shape[0]}, {a.threads} LiteRT threads, {a.repeats} repeats")
    for fmt in ("halpe_26", "halpe_136"):
        for batch in (1, 8):
            est = MediaPipePoseEstimator(fmt, batch_size=batch, num_threads=a.threads)
            one = ms_per_frame(est, rgb, boxes[:1], a.repeats)
            five = ms_per_frame(est, rgb, boxes, a.repeats)
            print(f"  {fmt} batch {batch}: 1 person {one:.1f} ms, 5 people {five:.1f} ms "
                  f"= {five / one:.2f}x one person ({five / (5 * one):.2f} of 5x)")


if __name__ == "__main__":
    main()
