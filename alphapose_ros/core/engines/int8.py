"""INT8 post-training static quantisation of an exported network, calibrated on real crops.

The calibration set is recorded once (`alphapose-export calibration`): real frames, JPEG-encoded, with the
person boxes a detector found in them, so crops are cut at quantisation time for whatever input size the
network has, exactly as inference cuts them. Quantisation is ONNX Runtime's static QDQ scheme (weights
int8 per channel, activations uint8), which both ONNX Runtime and OpenVINO run in INT8."""
from __future__ import annotations

import tempfile
import time
from itertools import islice
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.core.pose.crop import crop_batch
from alphapose_ros.core.engines.runtimes import INSTALL_HINT


def record_calibration(frames_bgr, boxes_per_frame, path: str | Path, quality: int = 95) -> int:
    """Save frames (BGR) and their person boxes (xyxy) as a calibration set; returns the number of boxes."""
    blobs, counts, boxes = [], [], []
    for img, b in zip(frames_bgr, boxes_per_frame):
        b = np.asarray(b, np.float32).reshape(-1, 4)
        if not len(b):
            continue
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise ValueError("cannot JPEG-encode a calibration frame")
        blobs.append(buf.reshape(-1))
        counts.append(len(b))
        boxes.append(b)
    if not blobs:
        raise ValueError("no person boxes in the calibration frames: use footage with people in it")
    sizes = np.array([len(x) for x in blobs], np.int64)
    np.savez(path, jpeg=np.concatenate(blobs), jpeg_sizes=sizes, boxes=np.concatenate(boxes),
             box_counts=np.array(counts, np.int64))
    return int(sum(counts))


def calibration_crops(path: str | Path, input_hw: tuple[int, int], limit: int = 0, cut=crop_batch) -> np.ndarray:
    """The network inputs (N,3,H,W) float32 of a recorded calibration set, cut by `cut(rgb, boxes, input_hw)`
    (AlphaPose's crops by default). ValueError when the file is not one."""
    z = _calibration_set(path)
    crops, b0 = [], 0
    for img, n in zip(_frames(z, path), z["box_counts"]):
        if limit and b0 >= limit:  # enough crops: the rest of the frames need not be decoded
            break
        crops.append(cut(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), z["boxes"][b0:b0 + n], input_hw)[0])
        b0 += int(n)
    out = np.concatenate(crops)
    return out[:limit] if limit else out


def calibration_frames(path: str | Path, limit: int = 0) -> list[np.ndarray]:
    """The frames (BGR) of a recorded calibration set (at most `limit`); ValueError when the file is not one."""
    return list(islice(_frames(_calibration_set(path), path), limit or None))


def _calibration_set(path: str | Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in ("jpeg", "jpeg_sizes", "boxes", "box_counts")}
    except (OSError, KeyError, ValueError) as e:
        raise ValueError(f"{path}: not a calibration set recorded by alphapose-export calibration ({e})") from None


def _frames(z: dict, path: str | Path):
    """The set's frames, decoded one at a time."""
    start = 0
    for size in z["jpeg_sizes"]:
        img = cv2.imdecode(z["jpeg"][start:start + int(size)], cv2.IMREAD_COLOR)
        start += int(size)
        if img is None:
            raise ValueError(f"{path}: a calibration frame does not decode")
        yield img


def keypoint_change(cfg, want, got) -> dict:
    """How far `got` (network outputs, e.g. INT8) moves the decoded keypoints from `want` (FP32), in crop
    pixels, and the largest keypoint score change."""
    from alphapose_ros.core.codecs.decode import decode_to_image

    box = np.tile(np.array([[0, 0, cfg.input_hw[1], cfg.input_hw[0]]], np.float32), (len(want), 1))
    xy0, s0 = decode_to_image(want, box, cfg.head, cfg.num_integral, cfg.norm_type)
    xy1, s1 = decode_to_image(got, box, cfg.head, cfg.num_integral, cfg.norm_type)
    d = np.abs(xy1 - xy0).reshape(-1)
    return {"kp_px_median": float(np.median(d)), "kp_px_p95": float(np.percentile(d, 95)),
            "kp_px_max": float(d.max()), "score_max": float(np.abs(s1 - s0).max())}


def _remove_symbolic_shape_dump(since: float) -> None:
    """ONNX Runtime's symbolic shape inference, when it fails, saves its half-inferred model (and its weights
    under a random name) into the current directory: remove that dump if this call wrote it."""
    import onnx

    dump = Path("sym_shape_infer_temp.onnx")
    if not dump.is_file() or dump.stat().st_mtime < since - 1:
        return
    for t in onnx.load(str(dump), load_external_data=False).graph.initializer:
        for entry in t.external_data:
            if entry.key == "location" and Path(entry.value).name == entry.value:
                Path(entry.value).unlink(missing_ok=True)
    dump.unlink()


def quantize_int8(fp32_onnx: str | Path, out_path: str | Path, crops: np.ndarray, batch: int = 8,
                  input_name: str = "crops", keep_fp32: tuple[str, ...] = (), activation_bits: int = 8) -> Path:
    """Static QDQ INT8 model of `fp32_onnx` (per-channel INT8 weights), activation ranges calibrated (min-max) on
    `crops`; the nodes named in `keep_fp32` stay FP32 (mixed precision); activation_bits 16 quantises the
    activations to 16 bits (more exact, much slower on CPU)."""
    try:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as e:
        raise ImportError(f"INT8 quantisation needs onnxruntime: {INSTALL_HINT}") from e

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{input_name: np.ascontiguousarray(crops[i:i + batch], np.float32)}
                                 for i in range(0, len(crops), batch)])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        started = time.time()
        try:
            quant_pre_process(str(fp32_onnx), str(pre))
        except Exception:  # noqa: BLE001 - symbolic shapes fail on some graphs (YOLOX's): ONNX's own inference
            _remove_symbolic_shape_dump(started)
            quant_pre_process(str(fp32_onnx), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt16 if activation_bits == 16 else QuantType.QUInt8,
                        weight_type=QuantType.QInt8, nodes_to_exclude=list(keep_fp32))
    return Path(out_path)


def quantize_detector(detector, frames_bgr: list[np.ndarray], out_path: str | Path) -> Path:
    """An INT8 copy of a YOLO detector's network (YoloxDetector, YoloV3Detector) with its sidecar: activation
    ranges calibrated on `frames_bgr` pre-processed as the detector does; run it with make_detector(...,
    exported=out_path) on ONNX Runtime or OpenVINO."""
    from alphapose_ros.core.engines.onnx_export import (INPUT, cached_export, state_sha256, write_detector_sidecar)

    spec = detector.spec
    net = detector.net.float().cpu().eval()
    digest = state_sha256(net)
    fp32 = cached_export(net, spec.input_hw, spec.name, outputs=spec.outputs, write_sidecar=lambda p, d:
                         write_detector_sidecar(p, spec.name, spec.input_hw, spec.preprocess, d))
    quantize_int8(fp32, out_path, detector.network_inputs(frames_bgr), batch=1, input_name=INPUT)
    write_detector_sidecar(out_path, spec.name, spec.input_hw, spec.preprocess, digest, precision="int8")
    return Path(out_path)
