"""Benchmark: the RTMPose family on this CPU, beside FastPose-50 and the MediaPipe backend, in one run.

1. ms per crop of the network alone: RTMPose-m and RTMW-m (core/models/rtmpose.py, exported with
   seeded random weights in the released layout: speed does not depend on the values) on ONNX Runtime
   and OpenVINO, FP32 and INT8 (static QDQ, calibrated on vtest crops with HOG boxes), batch 1 and 8;
   FastPose-50 (COCO-17, heatmaps) traced torch and ONNX Runtime FP32; MediaPipe BlazePose-full per crop.
2. A frame with 10 people on the RTMPose-m file: this package's batched crops + SimCC decoding against
   rtmlib 0.0.16's per-box loop (pre/post-processing alone, and with the network), as ratios.
3. Whole-frame frames/s of the offline pipeline on vtest (hog-small boxes, crop tracking) with RTMPose-m.

    python -m alphapose_ros.bench.rtm_models [--seconds 3] [--frames 60] [--models rtmpose-m,rtmw-m,...]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.core.models.rtmpose import VARIANTS

FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def per_call_ms(fn, seconds: float) -> float:
    """Median ms of `fn()` over repeated calls for about `seconds` (after one warm-up)."""
    fn()
    times, t_end = [], time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(times) < 3:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1000)


def footage(n: int) -> list[np.ndarray]:
    """The first n frames of vtest (BGR); a textured stand-in frame when opencv-doc is not installed."""
    cap, frames = cv2.VideoCapture(str(FOOTAGE)), []
    while len(frames) < n:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    if not frames:
        print(f"({FOOTAGE} not found: timing on a textured stand-in frame; calibration crops are not real)")
        frames = [np.random.default_rng(0).integers(0, 255, (576, 768, 3), dtype=np.uint8)] * n
    return frames


def calibration(frames: list[np.ndarray], work: Path) -> Path:
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.engines.int8 import record_calibration

    det = make_detector("hog")
    boxes = [det.detect([f])[0].boxes for f in frames[::10][:12]]
    boxes = [b if len(b) else np.array([[300, 100, 380, 300]], np.float32) for b in boxes]
    record_calibration(frames[::10][:12], boxes, work / "cal.npz")
    return work / "cal.npz"


def rtm_rows(work: Path, cal: Path, seconds: float, names: list[str]) -> list[tuple[str, str, int, float]]:
    from alphapose_ros.core.engines.int8 import calibration_crops, quantize_int8
    from alphapose_ros.core.engines.runtimes import load_runtime
    from alphapose_ros.core.models.rtmpose import build_variant, export_released_layout
    from alphapose_ros.core.rtm.crop import rtm_crops

    import torch

    rows = []
    for name in names:
        torch.manual_seed(0)
        net = build_variant(name)
        fp32 = export_released_layout(net, work / f"{name}.onnx", net.input_hw)
        crops = calibration_crops(cal, net.input_hw, limit=32, cut=rtm_crops)
        int8 = quantize_int8(fp32, work / f"{name}.int8.onnx", crops, input_name="input")
        for engine in ("onnxruntime", "openvino"):
            for precision, path in (("FP32", fp32), ("INT8", int8)):
                run = load_runtime(engine, path)
                for batch in (1, 8):
                    x = np.ascontiguousarray(np.resize(crops, (batch, *crops.shape[1:])))
                    rows.append((name, f"{engine} {precision}", batch,
                                 per_call_ms(lambda: run.run_numpy(x), seconds) / batch))
    return rows


def baseline_rows(work: Path, cal: Path, seconds: float) -> list[tuple[str, str, int, float]]:
    import torch

    from alphapose_ros.core.engines.int8 import calibration_crops
    from alphapose_ros.core.engines.onnx_export import export_onnx
    from alphapose_ros.core.engines.runtimes import load_runtime
    from alphapose_ros.core.pose.estimator import prepare_model, script_model
    from alphapose_ros.core.models.config import build_model, parse_config

    cfg = parse_config({"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "CONV_DIM": 256},
                        "DATA_PRESET": {"NUM_JOINTS": 17}, "LOSS": {"TYPE": "MSELoss"}})
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    crops = calibration_crops(cal, cfg.input_hw, limit=8)
    traced = script_model(prepare_model(model, "cpu"), cfg.input_hw, torch.device("cpu"))
    ort = load_runtime("onnxruntime", export_onnx(model, cfg.input_hw, work / "fastpose50.onnx"))
    rows = []
    for batch in (1, 8):
        x = torch.from_numpy(np.ascontiguousarray(np.resize(crops, (batch, *crops.shape[1:]))))
        with torch.inference_mode():
            xt = x.contiguous(memory_format=torch.channels_last)
            rows.append(("fastpose-50", "torch traced FP32", batch, per_call_ms(lambda: traced(xt), seconds) / batch))
        rows.append(("fastpose-50", "onnxruntime FP32", batch, per_call_ms(lambda: ort.run_numpy(x.numpy()), seconds)
                     / batch))
    try:
        from alphapose_ros.core.mediapipe.estimator import MediaPipePoseEstimator

        mp = MediaPipePoseEstimator("halpe_26", refine=False)
        frame = cv2.cvtColor(footage(1)[0], cv2.COLOR_BGR2RGB)
        for batch in (1, 8):
            boxes = np.tile(np.array([[300, 100, 380, 300]], np.float32), (batch, 1))
            rows.append(("mediapipe blazepose-full", "LiteRT FP32", batch,
                         per_call_ms(lambda: mp(frame, boxes), seconds) / batch))
    except Exception as e:  # its models come with set-up; say so when they are not there
        print(f"(MediaPipe backend not timed: {e})")
    return rows


def batching_ratio(work: Path, seconds: float) -> None:
    """Ours (batched) vs rtmlib (one box at a time) on the RTMPose-m file, 10 people in a vtest frame."""
    try:
        import rtmlib
    except ImportError:
        print("rtmlib is not installed (requirements/test.txt): no batching ratio")
        return
    from alphapose_ros.core.codecs.simcc import decode_simcc
    from alphapose_ros.core.rtm.crop import centre_scale, crop_pixels, to_image
    from alphapose_ros.core.rtm.estimator import SimCCPoseEstimator
    from alphapose_ros.core.rtm.model_file import inspect_onnx

    path = work / "rtmpose-m.onnx"
    spec = inspect_onnx(path)
    ours = SimCCPoseEstimator(spec, batch_size=16)
    ref = rtmlib.RTMPose(str(path), model_input_size=(192, 256), backend="onnxruntime")
    image = cv2.cvtColor(footage(1)[0], cv2.COLOR_BGR2RGB)
    rng = np.random.default_rng(0)
    xy = rng.uniform([0, 0], [700, 450], (10, 2))
    boxes = np.concatenate([xy, xy + rng.uniform([40, 100], [90, 200], (10, 2))], 1).astype(np.float32)
    simcc = ours.net.run_numpy(crop_pixels(image, *centre_scale(boxes, (192, 256)), (192, 256)), ["simcc_x", "simcc_y"])

    def ours_prepost():  # as the estimator does it: the crops' normalisation runs inside the network call
        centre, size = centre_scale(boxes, (192, 256))
        crop_pixels(image, centre, size, (192, 256))
        to_image(decode_simcc(*simcc, 2.0)[0], centre, size, (192, 256))

    def rtmlib_prepost():
        for i, b in enumerate(boxes):
            _, centre, scale = ref.preprocess(image, b)
            ref.postprocess([simcc[0][i:i + 1], simcc[1][i:i + 1]], centre, scale)

    a, b = per_call_ms(ours_prepost, seconds), per_call_ms(rtmlib_prepost, seconds)
    c, d = per_call_ms(lambda: ours(image, boxes), seconds), per_call_ms(lambda: ref(image, boxes), seconds)
    print(f"\n10 people, RTMPose-m file, ONNX Runtime: crops + SimCC decoding {a:.2f} ms batched vs {b:.2f} ms "
          f"rtmlib per box ({b / a:.1f}x; our crops are normalised inside the network call, which the next "
          f"figure includes); with the network {c:.0f} ms vs {d:.0f} ms ({d / c:.2f}x)")


def pipeline_fps(work: Path, frames: int) -> None:
    from alphapose_ros.core.crop_tracking import CropTracker
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.pipeline import Frame, FramePipeline
    from alphapose_ros.core.rtm.estimator import SimCCPoseEstimator
    from alphapose_ros.core.rtm.model_file import inspect_onnx

    imgs = footage(frames)
    print()
    for precision, file in (("FP32", "rtmpose-m.onnx"), ("INT8", "rtmpose-m.int8.onnx")):
        est = SimCCPoseEstimator(inspect_onnx(work / file), batch_size=8)
        pipe = FramePipeline(est, make_detector("hog-small"), crop_tracker=CropTracker())
        t0 = time.perf_counter()
        n = sum(1 for it in pipe.run(Frame(str(i), i / 10, im) for i, im in enumerate(imgs)) if not it.error)
        dt = time.perf_counter() - t0
        print(f"whole frames, vtest, hog-small + crop tracking + RTMPose-m (ONNX Runtime {precision}): "
              f"{n / dt:.1f} frames/s over {n} frames (detector on {pipe.detector_runs}); pose stage "
              f"{pipe.last_stats['pose'].ms_per_item:.0f} ms per frame")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0, help="timing per row")
    ap.add_argument("--frames", type=int, default=60, help="vtest frames for the whole-frame rate")
    ap.add_argument("--models", default="rtmpose-m,rtmw-m",
                    help="architectures to time, from: " + ", ".join(VARIANTS) + " (rtmpose-m first: the ratio and "
                    "whole-frame rows use it)")
    a = ap.parse_args(argv)
    names = [n for n in a.models.split(",") if n]
    if "rtmpose-m" not in names:
        names.insert(0, "rtmpose-m")
    unknown = set(names) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown architectures {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cal = calibration(footage(120), work)
        rows = rtm_rows(work, cal, a.seconds, names) + baseline_rows(work, cal, a.seconds)
        print(f"\n{'model':26s} {'engine':22s} {'batch':>5s} {'ms/crop':>8s}")
        for model, engine, batch, ms in rows:
            print(f"{model:26s} {engine:22s} {batch:5d} {ms:8.1f}")
        per = {(m, e, b): ms for m, e, b, ms in rows}
        for name in names:
            for engine in ("onnxruntime", "openvino"):
                print(f"{name} {engine}: INT8 is " + ", ".join(
                    f"{per[(name, f'{engine} FP32', b)] / per[(name, f'{engine} INT8', b)]:.2f}x FP32 at batch {b}"
                    for b in (1, 8)))
        batching_ratio(work, a.seconds)
        pipeline_fps(work, a.frames)


if __name__ == "__main__":
    main()
