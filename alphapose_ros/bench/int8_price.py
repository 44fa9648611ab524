"""INT8's accuracy price on FastPose-50 with realistic activations, and whether mixed precision buys it back.

    python -m alphapose_ros.bench.int8_price [--frames 100]

FastPose-50 Halpe-136 in the official layout with seeded random weights, whose BatchNorm statistics are then
taken from real crops (vtest.avi, HOG boxes; the network run in training mode over them), so every layer's
activations have the spread a trained network's have (with default BatchNorm statistics the outputs are flat
and INT8 looks free). Half the crops calibrate (min-max), the other half measure: how far each variant moves
the decoded keypoints from FP32 (crop pixels, 256x192) and the keypoint scores, and its crops/s at batch 8 on
ONNX Runtime in the same run. Variants: all INT8; the first and last convolutions FP32 (the usual sensitive
layers); the last three (the DUC head) FP32; 16-bit activations.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from alphapose_ros.bench.engines import FOOTAGE, MODEL_CFG, record_vtest_calibration


def realistic_model(crops: np.ndarray, seed: int = 0):
    """The benchmark's FastPose-50 with BatchNorm statistics from `crops` (cumulative averages)."""
    from alphapose_ros.core.models.config import build_model, parse_config

    cfg = parse_config(MODEL_CFG)
    torch.manual_seed(seed)
    model = build_model(cfg)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for i in range(0, len(crops), 16):
            model(torch.from_numpy(crops[i:i + 16]))
    return cfg, model.eval()


def crops_per_s(runtime, crops: np.ndarray, seconds: float = 3.0) -> float:
    x = torch.from_numpy(np.ascontiguousarray(crops[:8]))
    runtime(x)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        runtime(x)
        n += len(x)
    return n / (time.perf_counter() - t0)


def measure(frames: int = 100, seed: int = 0) -> dict:
    import onnx

    from alphapose_ros.core.engines.int8 import calibration_crops, keypoint_change, quantize_int8
    from alphapose_ros.core.engines.onnx_export import export_onnx
    from alphapose_ros.core.engines.runtimes import load_runtime
    from alphapose_ros.core.models.config import parse_config

    if not FOOTAGE.exists():
        raise SystemExit(f"{FOOTAGE} missing (install Debian's opencv-doc)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        record_vtest_calibration(work / "calib.npz", frames, every=8)
        crops = calibration_crops(work / "calib.npz", parse_config(MODEL_CFG).input_hw)
        order = np.random.default_rng(seed).permutation(len(crops))
        calib, held = crops[order[:len(crops) // 2]], crops[order[len(crops) // 2:]][:64]
        cfg, model = realistic_model(calib, seed)
        export_onnx(model, cfg.input_hw, work / "fp32.onnx")
        with torch.inference_mode():
            want = model(torch.from_numpy(held))
        convs = [n.name for n in onnx.load(str(work / "fp32.onnx")).graph.node if n.op_type == "Conv"]
        fp32 = load_runtime("onnxruntime", work / "fp32.onnx")
        rows = {"FP32 (ONNX Runtime)": {**keypoint_change(cfg, want, fp32(torch.from_numpy(held))),
                                        "crops_per_s": crops_per_s(fp32, held)}}
        variants = {"INT8 (the default)": {}, "INT8, first and last conv FP32": {"keep_fp32": (convs[0], convs[-1])},
                    "INT8, DUC head (last 3 convs) FP32": {"keep_fp32": tuple(convs[-3:])},
                    "16-bit activations": {"activation_bits": 16}}
        for name, kw in variants.items():
            path = work / f"v{len(rows)}.onnx"
            quantize_int8(work / "fp32.onnx", path, calib, **kw)
            rt = load_runtime("onnxruntime", path)
            rows[name] = {**keypoint_change(cfg, want, rt(torch.from_numpy(held))), "crops_per_s": crops_per_s(rt, held)}
    return {"calibration_crops": len(calib), "measured_crops": len(held), "rows": rows}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=100, help="vtest frames (every 8th) whose HOG boxes give crops")
    a = ap.parse_args(argv)
    res = measure(a.frames)
    base = res["rows"]["FP32 (ONNX Runtime)"]["crops_per_s"]
    print(f"FastPose-50 Halpe-136, BatchNorm statistics from {res['calibration_crops']} real crops; "
          f"measured on {res['measured_crops']} others, against torch FP32")
    print("| variant | keypoint shift median / p95 / max (crop px) | largest score change | crops/s at batch 8 |")
    print("|---|---|---|---|")
    for name, r in res["rows"].items():
        print(f"| {name} | {r['kp_px_median']:.3f} / {r['kp_px_p95']:.3f} / {r['kp_px_max']:.2f} | "
              f"{r['score_max']:.3f} | {r['crops_per_s']:.1f} ({r['crops_per_s'] / base:.2f}x) |")
    return res


if __name__ == "__main__":
    main()
