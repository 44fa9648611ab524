"""Benchmark the person detectors: frames/second at their default input size, and, for the
no-download detectors (HOG, BlazePose), how many people they find on vtest.avi: boxes per
frame, and boxes the MediaPipe body model confirms (person probability >= 0.5).

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
    ap.add_argument("--blazepose-tiles", default="0,256",
                    help="BlazePose tile sizes to count people with (0 = whole image); '' for none")
    a = ap.parse_args(argv)
    from alphapose_ros.core.detectors.hog import HogDetector

    frames = read_frames(a.video, a.frames or 10 ** 9)
    print(f"{a.video.name}: {len(frames)} frames {frames[0].shape[1]}x{frames[0].shape[0]}")
    confirm = person_confirmer()
    count_people("hog", HogDetector(), frames, confirm)
    for tile in filter(None, a.blazepose_tiles.split(",")):
        from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector, BlazePoseDetectorSettings

        count_people(f"blazepose tile {tile}", BlazePoseDetector(BlazePoseDetectorSettings(tile=int(tile))),
                     frames, confirm)
    if a.yolo_cfg:
        from alphapose_ros.core.detectors.yolov3 import YoloV3Detector

        yolo = YoloV3Detector(a.yolo_cfg, a.yolo_weights, device=a.device)
        print(f"  yolov3-spp 608 ({'trained' if a.yolo_weights else 'untrained'} weights, {a.device}): "
              f"{frames_per_second(yolo, frames, a.repeats):.2f} frames/s")
    for name in filter(None, a.yolox.split(",")):
        from alphapose_ros.core.detectors.yolox import YoloxDetector

        det = YoloxDetector(name, None, device=a.device)
        print(f"  {name} 640 (untrained weights, {a.device}): {frames_per_second(det, frames, a.repeats):.2f} frames/s")


def person_confirmer():
    """Boxes -> how many of them MediaPipe's body model sees a person in (None without its models)."""
    try:
        from alphapose_ros.core.mediapipe.estimator import MediaPipePoseEstimator

        est = MediaPipePoseEstimator("halpe_26", refine=False)
    except (ImportError, FileNotFoundError) as e:
        print(f"  (no person confirmation: {e})")
        return None
    from alphapose_ros.core.mediapipe.body import run_body
    from alphapose_ros.core.mediapipe.roi import rois_from_boxes

    def confirmed(frame: np.ndarray, boxes: np.ndarray) -> int:
        if len(boxes) == 0:
            return 0
        body = run_body(est.body, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), rois_from_boxes(boxes))
        return int((body.person >= 0.5).sum())
    return confirmed


def count_people(name: str, det, frames: list[np.ndarray], confirm) -> None:
    t = time.perf_counter()
    dets = [det.detect([f])[0] for f in frames]
    dt = time.perf_counter() - t
    counts = np.array([len(d) for d in dets])
    line = (f"  {name}: {(counts > 0).sum()}/{len(frames)} frames with >=1 box, mean {counts.mean():.2f} "
            f"boxes/frame, {len(frames) / dt:.1f} frames/s")
    if confirm is not None:
        line += f", {np.mean([confirm(f, d.boxes) for f, d in zip(frames, dets)]):.2f} confirmed people/frame"
    print(line)


def frames_per_second(det, frames: list[np.ndarray], n: int) -> float:
    """One warm-up frame, then n frames one at a time (a camera's pace)."""
    det.detect(frames[:1])
    t = time.perf_counter()
    for f in frames[1:1 + n]:
        det.detect([f])
    return n / (time.perf_counter() - t)


if __name__ == "__main__":
    main()
