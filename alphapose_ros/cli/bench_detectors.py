"""Benchmark the person detectors: frames/second at their default input size, and, for the
no-download HOG detector, how many people it finds on vtest.avi.

YOLOv3-SPP and YOLOX run with untrained weights unless weights are given (speed does
not depend on the values); YOLOv3's cfg is AlphaPose's yolov3-spp.cfg (--yolo-cfg).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def read_frames(path: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < n:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--video", type=Path, default=FOOTAGE)
    ap.add_argument("--frames", type=int, default=0, help="frames for the HOG count (0 = whole clip)")
    ap.add_argument("--yolo-cfg", type=Path, help="darknet cfg (AlphaPose's yolov3-spp.cfg)")
    ap.add_argument("--yolo-weights", type=Path)
    ap.add_argument("--yolox", default="yolox-nano,yolox-s,yolox-l",
                    help="comma-separated YOLOX variants to time at 640 (AlphaPose's size); '' for none")
    ap.add_argument("--repeats", type=int, default=3, help="timed frames per network detector")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args(argv)
    from alphapose_ros.core.detectors.hog import HogDetector

    frames = read_frames(a.video, a.frames or 10 ** 9)
    hog = HogDetector()
    t = time.perf_counter()
    dets = hog.detect(frames)
    dt = time.perf_counter() - t
    counts = np.array([len(d) for d in dets])
    print(f"{a.video.name}: {len(frames)} frames {frames[0].shape[1]}x{frames[0].shape[0]}")
    print(f"  hog: {(counts > 0).sum()}/{len(frames)} frames with >=1 person, mean {counts.mean():.2f} boxes/frame, "
          f"{len(frames) / dt:.1f} frames/s")
    if a.yolo_cfg:
        from alphapose_ros.core.detectors.yolov3 import YoloV3Detector

        yolo = YoloV3Detector(a.yolo_cfg, a.yolo_weights, device=a.device)
        print(f"  yolov3-spp 608 ({'trained' if a.yolo_weights else 'untrained'} weights, {a.device}): "
              f"{frames_per_second(yolo, frames, a.repeats):.2f} frames/s")
    for name in filter(None, a.yolox.split(",")):
        from alphapose_ros.core.detectors.yolox import YoloxDetector

        det = YoloxDetector(name, None, device=a.device)
        print(f"  {name} 640 (untrained weights, {a.device}): {frames_per_second(det, frames, a.repeats):.2f} frames/s")


def frames_per_second(det, frames: list[np.ndarray], n: int) -> float:
    """One warm-up frame, then n frames one at a time (a camera's pace)."""
    det.detect(frames[:1])
    t = time.perf_counter()
    for f in frames[1:1 + n]:
        det.detect([f])
    return n / (time.perf_counter() - t)


if __name__ == "__main__":
    main()
