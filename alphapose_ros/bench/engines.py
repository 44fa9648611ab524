"""Benchmark: the pose network on each engine, side by side in one run on this machine.

FastPose-50 Halpe-136 (SIKR head, 256x192, official layout, seeded random weights: speed does not depend
on the values) run by traced torch, ONNX Runtime and OpenVINO, FP32 and INT8 (calibrated on vtest.avi
crops with HOG boxes). Prints crops/s and peak RSS at each batch size (each in its own process), how far
each engine's output is from torch FP32 on real crops, and the whole offline pipeline's frames/s on the
vtest clip (HOG + the pose network, sequential) with each engine.

    python -m alphapose_ros.bench.engines [--batches 1,8,32] [--seconds 4] [--frames 20] [--json engines.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from alphapose_ros.bench.proc_stats import peak_rss_mb

FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
MODEL_CFG = {"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "CONV_DIM": 256},
             "DATA_PRESET": {"NUM_JOINTS": 136}, "LOSS": {"TYPE": "L1JointRegression"},
             "DATASET": {"TRAIN": {"TYPE": "Halpe_136"}}}
# (label, engine, precision): torch FP32 traced is the baseline every ratio is against
ENGINES = [("torch traced FP32", "torch", "fp32"), ("ONNX Runtime FP32", "onnxruntime", "fp32"),
           ("OpenVINO FP32", "openvino", "fp32"), ("ONNX Runtime INT8", "onnxruntime", "int8"),
           ("OpenVINO INT8", "openvino", "int8")]


def _estimator(work: Path, engine: str, precision: str, batch: int = 32):
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.models.config import build_model, parse_config

    if engine == "torch":
        cfg = parse_config(MODEL_CFG)
        model = build_model(cfg)
        model.load_state_dict(torch.load(work / "weights.pth", weights_only=True))
        return PoseEstimator(cfg, model, batch_size=batch, torchscript=True)
    return PoseEstimator.from_exported(work / f"pose_{precision}.onnx", engine, batch_size=batch)


def _speed(work: Path, engine: str, precision: str, batch: int, seconds: float) -> dict:
    """crops/s of the network alone (as the estimator calls it) and this process's peak RSS."""
    est = _estimator(work, engine, precision, batch)
    x = torch.from_numpy(np.load(work / "crops.npy")[:batch])
    x = torch.cat([x] * (batch // len(x) + 1))[:batch].contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        est.model(x)  # warm-up
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds or n < 2:
            est.model(x)
            n += 1
        dt = time.perf_counter() - t0
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec
    return {"crops_per_s": n * batch / dt, "peak_rss_mb": peak_rss_mb(os.getpid())}


def _pipeline(work: Path, engine: str, precision: str, frames: int) -> dict:
    """Frames/s of the offline pipeline (HOG + the pose network + pose NMS + tracking) on the vtest clip,
    stages one after another and pipelined (alphapose-infer's default)."""
    from alphapose_ros.bench.detectors import read_frames
    from alphapose_ros.bench.pipeline import timed_run
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.pipeline import FramePipeline, PoseNMSConfig
    from alphapose_ros.core.tracking.msim import MSIMTracker

    clip = read_frames(FOOTAGE, frames + 2)
    est = _estimator(work, engine, precision)

    def pipe():
        return FramePipeline(est, make_detector("hog"), PoseNMSConfig(), tracker=MSIMTracker())
    timed_run(pipe(), clip[:2], False, 4)  # warm-up
    seq, par = timed_run(pipe(), clip[2:], False, 4), timed_run(pipe(), clip[2:], True, 4)
    return {"sequential": seq["frames_per_s"], "pipelined": par["frames_per_s"], "stage_ms": seq["stage_ms"]}


def record_vtest_calibration(path: Path, frames: int, every: int) -> None:
    """A calibration set of every `every`-th vtest frame (`frames` of them) with its HOG person boxes."""
    import cv2

    from alphapose_ros.core.detectors.hog import HogDetector
    from alphapose_ros.core.engines.int8 import record_calibration

    cap, images, hog = cv2.VideoCapture(str(FOOTAGE)), [], HogDetector()
    for i in range(frames * every):
        ok, img = cap.read()
        if not ok:
            break
        if i % every == 0:
            images.append(img)
    cap.release()
    record_calibration(images, [hog.detect([f])[0].boxes for f in images], path)


def prepare(work: Path, calibration_frames: int) -> dict:
    """Weights, calibration set, FP32 and INT8 exports, real crops; the engines' output agreement."""
    from alphapose_ros.core.engines.int8 import calibration_crops, quantize_int8
    from alphapose_ros.core.engines.onnx_export import export_onnx, state_sha256, write_sidecar
    from alphapose_ros.core.engines.runtimes import load_runtime
    from alphapose_ros.core.models.config import build_model, parse_config

    cfg = parse_config(MODEL_CFG)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    torch.save(model.state_dict(), work / "weights.pth")
    record_vtest_calibration(work / "calib.npz", calibration_frames, every=10)
    crops = calibration_crops(work / "calib.npz", cfg.input_hw)
    np.save(work / "crops.npy", crops[:32])
    digest = state_sha256(model)
    export_onnx(model, cfg.input_hw, work / "pose_fp32.onnx")
    write_sidecar(work / "pose_fp32.onnx", cfg, precision="fp32", checkpoint_sha256=digest)
    quantize_int8(work / "pose_fp32.onnx", work / "pose_int8.onnx", crops)
    write_sidecar(work / "pose_int8.onnx", cfg, precision="int8", checkpoint_sha256=digest)
    check = torch.from_numpy(crops[:64])
    with torch.inference_mode():
        want = model(check)
    agree = {"crops": len(check), "calibration_crops": len(crops)}
    for label, engine, precision in ENGINES[1:]:
        got = load_runtime(engine, work / f"pose_{precision}.onnx")(check)
        agree[label] = {"max_abs_output": float((got - want).abs().max())}
    agree["model trained here"] = _local_model_agreement(work, calibration_crops)
    return agree


def _local_model_agreement(work: Path, calibration_crops) -> dict:
    """INT8 against FP32 keypoints for the model trained here (models/local: trained weights, unlike the
    benchmark's random ones, whose decoded keypoints all collapse to the crop centre)."""
    from alphapose_ros.core.engines.int8 import keypoint_change, quantize_int8
    from alphapose_ros.core.engines.onnx_export import export_onnx
    from alphapose_ros.core.engines.runtimes import load_runtime
    from alphapose_ros.core.pose.estimator import PoseEstimator

    local = Path(__file__).resolve().parents[2] / "models" / "local"
    est = PoseEstimator.from_files(local / "fastpose_small_halpe26.yaml", local / "fastpose_small_halpe26_sikr.pth")
    cfg = est.cfg
    crops = calibration_crops(work / "calib.npz", cfg.input_hw)
    export_onnx(est.model.float(), cfg.input_hw, work / "local_fp32.onnx")
    quantize_int8(work / "local_fp32.onnx", work / "local_int8.onnx", crops)
    check = torch.from_numpy(crops[:64])
    with torch.inference_mode():
        want = est.model(check)
    out = {"model": est.describe()}
    for engine in ("onnxruntime", "openvino"):
        out[engine] = keypoint_change(cfg, want, load_runtime(engine, work / "local_int8.onnx")(check))
    return out


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, "-m", "alphapose_ros.bench.engines", *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--seconds", type=float, default=4.0, help="timed seconds per engine and batch size")
    ap.add_argument("--frames", type=int, default=20, help="vtest frames for the pipeline figure (0: skip)")
    ap.add_argument("--calibration-frames", type=int, default=40)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--_work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_speed", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--_pipeline", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._speed:
        print(json.dumps(_speed(a._work, a._speed[0], a._speed[1], int(a._speed[2]), a.seconds)))
        return {}
    if a._pipeline:
        print(json.dumps(_pipeline(a._work, *a._pipeline, a.frames)))
        return {}
    if not FOOTAGE.is_file():
        sys.exit(f"{FOOTAGE} not found: Debian's opencv-doc has it (scripts/setup.sh installs it as root)")
    batches = [int(b) for b in a.batches.split(",")]
    with tempfile.TemporaryDirectory(prefix="alphapose_engines_") as tmp:
        work = Path(tmp)
        res = {"model": "FastPose-50 Halpe-136 SIKR 256x192", "threads": torch.get_num_threads(),
               "agreement": prepare(work, a.calibration_frames), "speed": {}, "pipeline": {}}
        for label, engine, precision in ENGINES:
            res["speed"][label] = {b: _child(["--_work", str(work), "--_speed", engine, precision, str(b),
                                              "--seconds", str(a.seconds)]) for b in batches}
            if a.frames:
                res["pipeline"][label] = _child(["--_work", str(work), "--_pipeline", engine, precision,
                                                 "--frames", str(a.frames)])
    report(res, batches)
    if a.json:
        a.json.write_text(json.dumps(res, indent=1))
    return res


def report(res: dict, batches: list[int]) -> None:
    base = res["speed"][ENGINES[0][0]]
    print(f"{res['model']}, CPU, {res['threads']} threads; ratios against torch traced FP32 at the same batch")
    print("| engine | " + " | ".join(f"batch {b}: crops/s (x) | peak RSS MB" for b in batches)
          + " | output vs torch FP32 | vtest frames/s sequential (x) | pipelined (x) |")
    print("|---" * (3 + 2 * len(batches) + 1) + "|")
    pipe0 = res["pipeline"].get(ENGINES[0][0])
    for label, _, _ in ENGINES:
        sp = res["speed"][label]
        cells = [f"{sp[b]['crops_per_s']:.1f} ({sp[b]['crops_per_s'] / base[b]['crops_per_s']:.2f}x) | "
                 f"{sp[b]['peak_rss_mb']:.0f}" for b in batches]
        ag = res["agreement"].get(label)
        agree = "baseline" if ag is None else f"max abs {ag['max_abs_output']:.1e}"
        p = res["pipeline"].get(label)
        pipe = " | ".join(f"{p[m]:.2f} ({p[m] / pipe0[m]:.2f}x)" if p and pipe0 else "-"
                          for m in ("sequential", "pipelined"))
        print(f"| {label} | " + " | ".join(cells) + f" | {agree} | {pipe} |")
    ag = res["agreement"]
    print(f"outputs compared on {ag['crops']} vtest crops (HOG boxes); INT8 calibrated on {ag['calibration_crops']}")
    local = ag["model trained here"]
    for engine in ("onnxruntime", "openvino"):
        d = local[engine]
        print(f"INT8 vs FP32 keypoints of the model trained here ({local['model']}), {engine}: median "
              f"{d['kp_px_median']:.3f} px, 95% {d['kp_px_p95']:.3f} px, max {d['kp_px_max']:.2f} px (128x96 crops), "
              f"scores max change {d['score_max']:.3f}")


if __name__ == "__main__":
    main()
