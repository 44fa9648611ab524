"""INT8 on first use, as the cpu preset's pose node does it, on real footage.

    python -m alphapose_ros.bench.first_use_int8 [--frames 60] [--crops 64]

FastPose-50 Halpe-136 SIKR (the official layout; random weights with BatchNorm statistics from real crops,
bench.int8_price, so INT8's rounding shows as it would on trained weights) poses HOG's people in vtest.avi
frame after frame as the node does (torch traced FP32, 2 threads); the first --crops people calibrate the
INT8 copy in the background (core.engines.first_use_int8) and the stream switches to it when it is ready.
Printed: how long calibration took and how many frames FP32 answered meanwhile, the pose stage's ms per
frame before (FP32) and after (INT8) on the same frames, and how far INT8 moved the keypoints.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def measure(frames: int = 60, crops: int = 64) -> dict:
    from alphapose_ros.bench.detectors import read_frames
    from alphapose_ros.bench.engines import FOOTAGE
    from alphapose_ros.bench.int8_price import realistic_model
    from alphapose_ros.core.detectors.hog import HogDetector
    from alphapose_ros.core.engines.first_use_int8 import for_pose_network
    from alphapose_ros.core.pose.crop import crop_batch
    from alphapose_ros.core.pose.estimator import PoseEstimator

    if not FOOTAGE.exists():
        raise SystemExit(f"{FOOTAGE} missing (install Debian's opencv-doc)")
    clip = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in read_frames(FOOTAGE, frames)]
    hog = HogDetector()
    boxes = [hog.detect([f[..., ::-1]])[0].boxes for f in clip]
    seen = np.concatenate([crop_batch(f, b, (256, 192))[0] for f, b in zip(clip[::10], boxes[::10]) if len(b)])
    cfg, model = realistic_model(seen)
    fp32 = PoseEstimator(cfg, model, batch_size=8, torchscript=True)
    with tempfile.TemporaryDirectory() as tmp:
        first = for_pose_network(cfg, model, lambda p: PoseEstimator.from_exported(p, "onnxruntime", batch_size=8),
                             crops=crops, cache=Path(tmp))
        est, t0, switched_at, calibrated = fp32, time.perf_counter(), None, None
        for i, (f, b) in enumerate(zip(clip, boxes)):  # the node's loop: pose, publish, offer, maybe switch
            est(f, b)
            first.offer(f, b)
            ready = first.ready()
            if ready is not None:
                est, switched_at, calibrated = ready, i + 1, time.perf_counter() - t0
        if first.error:
            raise SystemExit(f"INT8 on first use failed: {first.error}")
        if est is fp32:
            first.wait()
            est, calibrated = first.ready(), time.perf_counter() - t0
        change = first.change
        ms = {}
        for name, e in (("fp32", fp32), ("int8", est)):
            e(clip[0], boxes[0])
            t = time.perf_counter()
            for f, b in zip(clip, boxes):
                e(f, b)
            ms[name] = 1e3 * (time.perf_counter() - t) / len(clip)
    return {"frames": len(clip), "people": int(sum(map(len, boxes))), "crops": crops,
            "seconds_to_int8": calibrated, "frames_answered_by_fp32": switched_at,
            "pose_ms_per_frame": ms, "keypoint_change_crop_px": change}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--crops", type=int, default=64)
    a = ap.parse_args(argv)
    r = measure(a.frames, a.crops)
    ms, c = r["pose_ms_per_frame"], r["keypoint_change_crop_px"]
    print(f"vtest, {r['frames']} frames, {r['people']} HOG people; FastPose-50 Halpe-136, {r['crops']} calibration "
          f"crops: INT8 ready after {r['seconds_to_int8']:.1f} s (FP32 answered the first "
          f"{r['frames_answered_by_fp32'] or r['frames']} frames meanwhile)")
    print(f"pose stage per frame: FP32 (torch traced) {ms['fp32']:.0f} ms, INT8 (ONNX Runtime) {ms['int8']:.0f} ms "
          f"({ms['fp32'] / ms['int8']:.2f}x); INT8 moved keypoints {c['kp_px_median']:.2f} px median, "
          f"{c['kp_px_max']:.2f} max (256x192 crop px), scores up to {c['score_max']:.3f}")
    return r


if __name__ == "__main__":
    main()
