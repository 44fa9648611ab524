"""alphapose-export: a pose network as ONNX (FP32 or INT8) with its sidecar, checked against PyTorch on
real crops, and the calibration set INT8 needs.

    alphapose-export calibration --input vtest.avi --out calib.npz          (frames + detector boxes, once)
    alphapose-export pose --cfg <yaml> --checkpoint <pth> --out pose.onnx --check calib.npz
    alphapose-export pose --cfg <yaml> --checkpoint <pth> --out pose_int8.onnx --int8 --calibration calib.npz
    alphapose-export rtm-int8 --pose-model rtmpose-m --calibration calib.npz --out rtmpose-m.int8.onnx
    alphapose-export detector-int8 --detector yolox-nano --det-weights yolox_nano.pth --calibration calib.npz \
        --out yolox-nano.int8.onnx

Run an exported file with `alphapose-infer --engine onnxruntime --exported pose.onnx` (or openvino; the
pose node's `engine` and `exported_model` parameters), an exported detector with `--det-exported` (the
detection node's `exported_model`). The sidecar pose.json beside it says what the
runtime needs: input size, normalisation, keypoint format, head and decoding.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from alphapose_ros.core.io.results import unwritable_reason

log = logging.getLogger("alphapose-export")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="alphapose-export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    cal = sub.add_parser("calibration", help="record frames and person boxes for INT8 calibration and checks")
    cal.add_argument("--input", required=True, help="a video, an image folder or an image list with people")
    cal.add_argument("--out", required=True, type=Path, help="the calibration set (.npz)")
    cal.add_argument("--frames", type=int, default=40, help="frames to keep")
    cal.add_argument("--every", type=int, default=10, help="keep every n-th frame")
    cal.add_argument("--detector", default="hog", help="person detector (hog needs no weights)")
    cal.add_argument("--det-weights", help="detector weights (YOLOX .pth / darknet weights)")
    cal.add_argument("--yolo-cfg", help="darknet cfg for --detector yolov3")
    pose = sub.add_parser("pose", help="export a pose network")
    pose.add_argument("--cfg", required=True, help="the model's AlphaPose config (YAML)")
    pose.add_argument("--checkpoint", required=True, help="its weights (.pth)")
    pose.add_argument("--out", required=True, type=Path, help="the ONNX file (its sidecar .json goes beside it)")
    pose.add_argument("--int8", action="store_true", help="static INT8 quantisation (needs --calibration)")
    pose.add_argument("--calibration", type=Path, help="calibration set from `alphapose-export calibration`")
    pose.add_argument("--check", type=Path,
                      help="a calibration set whose crops the export is checked on (default: --calibration)")
    pose.add_argument("--crops", type=int, default=64, help="at most this many crops to check on")
    rtm = sub.add_parser("rtm-int8", help="INT8 copy of an RTMPose-family SimCC model (RTMPose, RTMW, DWPose)")
    rtm.add_argument("--pose-model", required=True, help="its name (alphapose-download --list) or .onnx file")
    rtm.add_argument("--calibration", required=True, type=Path, help="calibration set (alphapose-export calibration)")
    rtm.add_argument("--out", required=True, type=Path, help="the INT8 ONNX file")
    rtm.add_argument("--crops", type=int, default=64, help="at most this many crops to calibrate and check on")
    det = sub.add_parser("detector-int8", help="INT8 copy of a YOLO person detector (YOLOX, YOLOv3-SPP)")
    det.add_argument("--detector", required=True, help="yolox-nano ... yolox-x, or yolov3")
    det.add_argument("--det-weights", required=True, help="its weights (YOLOX release .pth, yolov3-spp.weights)")
    det.add_argument("--yolo-cfg", help="darknet cfg for yolov3")
    det.add_argument("--calibration", required=True, type=Path, help="calibration set (alphapose-export calibration)")
    det.add_argument("--out", required=True, type=Path, help="the INT8 ONNX file (its sidecar .json goes beside it)")
    det.add_argument("--frames", type=int, default=40, help="at most this many frames to calibrate and check on")
    return ap


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    a = build_parser().parse_args(argv)
    try:
        return {"calibration": record, "pose": export_pose, "rtm-int8": rtm_int8,
                "detector-int8": detector_int8}[a.what](a)
    except (OSError, ValueError, ImportError) as e:
        log.error("%s", e)
        return 2


def record(a) -> int:
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.engines.int8 import record_calibration
    from alphapose_ros.core.io.sources import iter_frames

    _check_target(a.out)
    det = make_detector(a.detector, weights=a.det_weights, yolo_cfg=a.yolo_cfg)
    frames, boxes = [], []
    for i, (_, img) in enumerate(iter_frames(a.input)):
        if i % max(1, a.every):
            continue
        frames.append(img)
        boxes.append(det.detect([img])[0].boxes)
        if len(frames) >= a.frames:
            break
    n = record_calibration(frames, boxes, a.out)
    print(f"{a.out}: {len(frames)} frames, {n} person boxes ({a.detector})")
    return 0


def export_pose(a) -> int:
    import torch

    from alphapose_ros.core.pose.checkpoints import load_checkpoint
    from alphapose_ros.core.engines.int8 import calibration_crops, keypoint_change, quantize_int8
    from alphapose_ros.core.engines.onnx_export import export_onnx, state_sha256, write_sidecar
    from alphapose_ros.core.engines.runtimes import load_runtime
    from alphapose_ros.core.models.config import build_model, load_config

    if a.int8 and not a.calibration:
        raise ValueError("--int8 needs --calibration (record one with: alphapose-export calibration)")
    check = a.check or a.calibration
    if check is None:
        raise ValueError("pass --check (or --calibration): a calibration set whose real crops the export is "
                         "checked on (alphapose-export calibration --input <video> --out calib.npz)")
    _check_target(a.out)
    cfg = load_config(a.cfg)
    model = load_checkpoint(build_model(cfg), a.checkpoint, cfg).float().eval()
    calibration = calibration_crops(a.calibration, cfg.input_hw) if a.int8 else None
    crops = torch.from_numpy(calibration[:a.crops] if calibration is not None and check == a.calibration
                             else calibration_crops(check, cfg.input_hw, limit=a.crops))
    digest = state_sha256(model)
    fp32 = export_onnx(model, cfg.input_hw, a.out.with_name(a.out.stem + ".fp32.partial.onnx"))
    with torch.inference_mode():
        want = model(crops)
    out = a.out
    if a.int8:
        quantize_int8(fp32, out, calibration)
        fp32.unlink()
    else:
        fp32.replace(out)
    diffs = {}
    for engine in ("onnxruntime", "openvino"):
        got = load_runtime(engine, out)(crops)
        diffs[engine] = float((got - want).abs().max())
    write_sidecar(out, cfg, precision="int8" if a.int8 else "fp32", checkpoint_sha256=digest,
                  max_abs_diff=max(diffs.values()), calibration=str(a.calibration) if a.int8 else None)
    kind = "INT8" if a.int8 else "FP32"
    print(f"{out} ({kind}, {out.stat().st_size / 1e6:.1f} MB) + {out.with_suffix('.json').name}")
    print(f"max |exported - PyTorch FP32| over {len(crops)} real crops: "
          + ", ".join(f"{e} {d:.2e}" for e, d in diffs.items()))
    if a.int8:
        d = keypoint_change(cfg, want, load_runtime("onnxruntime", out)(crops))
        print(f"INT8 keypoints vs FP32, crop pixels: median {d['kp_px_median']:.3f}, 95% {d['kp_px_p95']:.3f}, "
              f"max {d['kp_px_max']:.3f}; scores max change {d['score_max']:.4f}")
    return 0


def rtm_int8(a) -> int:
    """Quantise a SimCC model on real crops cut as it runs them, and say how far its keypoints move."""
    from alphapose_ros.core.codecs.simcc import decode_simcc
    from alphapose_ros.core.engines.int8 import calibration_crops, quantize_int8
    from alphapose_ros.core.engines.runtimes import load_runtime
    from alphapose_ros.core.pose.model_zoo import ModelZooError, model_file
    from alphapose_ros.core.rtm.crop import rtm_crops
    from alphapose_ros.core.rtm.model_file import inspect_onnx

    _check_target(a.out)
    try:
        spec = inspect_onnx(model_file(a.pose_model, "pose"))
    except ModelZooError as e:
        raise ValueError(str(e)) from None
    if spec.family != "simcc":
        raise ValueError(f"{spec.describe()}: rtm-int8 quantises SimCC pose models")
    crops = calibration_crops(a.calibration, spec.input_hw, limit=a.crops, cut=rtm_crops)
    quantize_int8(spec.path, a.out, crops, batch=spec.batch or 8, input_name=spec.input_name)
    names = list(spec.output_names)
    step = spec.batch or len(crops)
    fp32, int8 = load_runtime("onnxruntime", spec.path), load_runtime("onnxruntime", a.out)
    want = [decode_simcc(*fp32.run_numpy(crops[i:i + step], names), spec.split_ratio) for i in range(0, len(crops), step)]
    got = [decode_simcc(*int8.run_numpy(crops[i:i + step], names), spec.split_ratio) for i in range(0, len(crops), step)]
    d = np.abs(np.concatenate([g[0] for g in got]) - np.concatenate([w[0] for w in want])).reshape(-1)
    ds = np.abs(np.concatenate([g[1] for g in got]) - np.concatenate([w[1] for w in want]))
    print(f"{a.out} (INT8, {a.out.stat().st_size / 1e6:.1f} MB) from {spec.describe()}, calibrated on {len(crops)} "
          "real crops")
    print(f"INT8 keypoints vs FP32, input pixels: median {np.median(d):.3f}, 95% {np.percentile(d, 95):.3f}, "
          f"max {d.max():.3f}; scores max change {ds.max():.4f}")
    return 0


def _check_target(path: Path) -> None:
    why = unwritable_reason(path)
    if why:
        raise ValueError(f"cannot write {path}: {why}")



def detector_int8(a) -> int:
    """Quantise a YOLO detector on real frames pre-processed as it runs them, and say how far its boxes move."""
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.engines.int8 import calibration_frames, quantize_detector
    from alphapose_ros.core.tracking.matching import greedy_iou_pairs

    _check_target(a.out)
    frames = calibration_frames(a.calibration, a.frames)
    det = make_detector(a.detector, weights=a.det_weights, yolo_cfg=a.yolo_cfg)
    quantize_detector(det, frames, a.out)
    int8 = make_detector(a.detector, weights=a.det_weights, yolo_cfg=a.yolo_cfg, engine="onnxruntime", exported=a.out)
    kept = total = 0
    for want, got in zip(det.detect(frames), int8.detect(frames)):
        keep = want.scores >= 0.5
        kept += len(greedy_iou_pairs(want.boxes[keep], got.boxes, 0.7))
        total += int(keep.sum())
    print(f"{a.out} (INT8, {a.out.stat().st_size / 1e6:.1f} MB) + {a.out.with_suffix('.json').name}")
    print(f"over {len(frames)} calibration frames: {kept} of {total} FP32 boxes scoring >= 0.5 found again by "
          "INT8 at IoU >= 0.7")
    return 0


if __name__ == "__main__":
    sys.exit(main())
