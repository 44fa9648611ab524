"""Export a pose network (or any image network) to ONNX with a dynamic batch, plus the sidecar JSON that
says everything a runtime needs besides the file: input size, normalisation, keypoint format, head and
decoding. The export is checked against PyTorch on the caller's crops."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from alphapose_ros.core.pose.cache import cache_dir, sha256_of
from alphapose_ros.core.pose.crop import PIXEL_MEAN_RGB
from alphapose_ros.core.models.config import PoseModelConfig

SIDECAR_VERSION = 1
INPUT, OUTPUT = "crops", "maps"
# torch's tracer (torch.jit.trace, the TorchScript ONNX exporter) is not safe in two threads at once: a trace
# made while another thread exports can differ from itself and fail its check. Both take this lock (INT8 on
# first use exports in the background while a node beside it may be configuring).
TRACE_LOCK = threading.RLock()


def sidecar_path(onnx_path: str | Path) -> Path:
    """model.onnx -> model.json"""
    return Path(onnx_path).with_suffix(".json")


def export_onnx(model: torch.nn.Module, input_hw: tuple[int, int], path: str | Path, opset: int = 17,
                outputs: int = 1) -> Path:
    """`model` (eval, fp32, CPU) as ONNX with input `crops` (batch, 3, H, W) and output `maps` (a detector's
    several outputs: `maps0`, `maps1`, ...), the batch dimension dynamic."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.float().cpu().eval()
    x = torch.zeros(2, 3, *input_hw)
    names = [OUTPUT] if outputs == 1 else [f"{OUTPUT}{i}" for i in range(outputs)]
    with TRACE_LOCK, warnings.catch_warnings():  # the TorchScript exporter is deprecated upstream; needs no onnxscript
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), input_names=[INPUT], output_names=names, opset_version=opset,
                          dynamic_axes={n: {0: "batch"} for n in [INPUT, *names]}, dynamo=False)
    return path


def cached_export(model: torch.nn.Module, input_hw: tuple[int, int], prefix: str,
                  write_sidecar: Callable[[Path, str], object], outputs: int = 1, cache: Path | None = None) -> Path:
    """The ONNX export of `model` in the engine cache, made on first use and named by a digest of its
    weights (another checkpoint gets another file), with the sidecar `write_sidecar(path, digest)` writes."""
    digest = state_sha256(model)
    path = (cache or cache_dir() / "engines") / f"{prefix}_{digest[:16]}_{input_hw[0]}x{input_hw[1]}.onnx"
    if not path.is_file():
        tmp = export_onnx(model, input_hw, path.with_name(path.stem + ".partial.onnx"), outputs=outputs)
        tmp.replace(path)
    if not sidecar_path(path).is_file():
        write_sidecar(path, digest)
    return path


def write_detector_sidecar(onnx_path: str | Path, name: str, input_hw: tuple[int, int], preprocess: str,
                           weights_sha256: str, precision: str = "fp32") -> Path:
    """The sidecar of an exported detector network: its head outputs are decoded by the package's
    detector code, which the sidecar names."""
    meta = {"version": SIDECAR_VERSION, "onnx_sha256": sha256_of(onnx_path), "kind": "detector",
            "detector": name, "input": {"name": INPUT, "shape": ["batch", 3, *input_hw], "layout": "NCHW",
                                        "dtype": "float32", "preprocess": preprocess},
            "output": "raw head outputs per level, decoded by alphapose_ros.core.detectors." + name.split("-")[0],
            "weights_sha256": weights_sha256, "precision": precision}
    out = sidecar_path(onnx_path)
    out.write_text(json.dumps(meta, indent=1))
    return out


def config_to_dict(cfg: PoseModelConfig) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(cfg).items()}


def config_from_dict(d: dict) -> PoseModelConfig:
    fields = {f.name: f for f in dataclasses.fields(PoseModelConfig)}
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in fields}
    return PoseModelConfig(**kw)


def write_sidecar(onnx_path: str | Path, cfg: PoseModelConfig, *, precision: str, checkpoint_sha256: str,
                  max_abs_diff: float | None = None, calibration: str | None = None) -> Path:
    """The sidecar JSON beside `onnx_path`: what feeds the network and how to read what comes out."""
    h, w = cfg.input_hw
    meta = {
        "version": SIDECAR_VERSION,
        "kind": "pose",
        "onnx_sha256": sha256_of(onnx_path),
        "precision": precision,
        "input": {"name": INPUT, "shape": ["batch", 3, h, w], "layout": "NCHW", "dtype": "float32",
                  "colour": "RGB", "normalisation": "x = rgb / 255 - mean (no std division)",
                  "mean_rgb": list(PIXEL_MEAN_RGB), "crop": "AlphaPose affine crop, box scaled by 1.25"},
        "output": {"name": OUTPUT, "keypoint_format": cfg.keypoint_format, "num_joints": cfg.num_joints,
                   "head": cfg.head, "decode": _decode_text(cfg), "heatmap_hw": list(cfg.heatmap_hw)},
        "model": cfg.describe(),
        "config": config_to_dict(cfg),
        "checkpoint_sha256": checkpoint_sha256,
        "check": {"max_abs_diff_vs_torch_fp32": max_abs_diff, "calibration": calibration},
    }
    out = sidecar_path(onnx_path)
    out.write_text(json.dumps(meta, indent=1))
    return out


def read_sidecar(onnx_path: str | Path) -> dict:
    """The sidecar of an exported file, checked against the file it describes. ValueError naming the
    problem when it is missing, unreadable or describes another file."""
    side = sidecar_path(onnx_path)
    try:
        meta = json.loads(side.read_text())
    except FileNotFoundError:
        raise ValueError(f"{onnx_path}: no sidecar {side.name} beside it (write both with alphapose-export)") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{side}: unreadable sidecar ({e})") from None
    if not isinstance(meta, dict) or meta.get("version") != SIDECAR_VERSION:
        raise ValueError(f"{side}: not an alphapose-export sidecar (version {SIDECAR_VERSION})")
    if meta.get("onnx_sha256") != sha256_of(onnx_path):
        raise ValueError(f"{side} describes another file than {onnx_path} (its sha256 differs): re-export")
    return meta


def _decode_text(cfg: PoseModelConfig) -> str:
    if cfg.head == "heatmap":
        return "heatmap argmax with quarter-pixel shift towards the higher neighbour"
    if cfg.head == "integral":
        return f"SIKR: {cfg.norm_type} normalised maps, integral (soft-argmax) coordinates"
    return f"combined: heatmap for the first {cfg.num_joints - cfg.num_integral}, SIKR for the last {cfg.num_integral}"


def state_sha256(model: torch.nn.Module) -> str:
    """A digest of the weights (names, shapes, values): which checkpoint an exported file came from."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(np.ascontiguousarray(v.detach().cpu().float().numpy()).tobytes())
    return h.hexdigest()
