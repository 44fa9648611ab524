"""INT8 on first use: a CPU robot's AlphaPose pose network quantised from the first people its camera shows.

INT8 runs the network 2-4x faster on a CPU, but needs activation ranges calibrated on real crops, which a
user does not have before the robot runs. So the stream calibrates itself: crops of the first people it
poses are kept until there are enough, then an INT8 copy is exported and quantised in a background thread
(the FP32 network keeps answering meanwhile) and handed over when ready. The file is cached in the engine
cache under a digest of the weights, so later starts load it at once and another checkpoint gets its own.
"""
from __future__ import annotations

import copy
import logging
import tempfile
import threading
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from alphapose_ros.core.models.config import PoseModelConfig
from alphapose_ros.core.pose.cache import cache_dir
from alphapose_ros.core.pose.crop import crop_batch

log = logging.getLogger(__name__)


def int8_path(cfg: PoseModelConfig, digest: str, cache: Path | None = None) -> Path:
    """Where the INT8 copy of the weights with this digest lives in the engine cache."""
    h, w = cfg.input_hw
    return (cache or cache_dir() / "engines") / f"pose_{digest[:16]}_{h}x{w}_int8.onnx"


def quantize_pose_network(cfg: PoseModelConfig, model: torch.nn.Module, crops: np.ndarray, out: Path) -> dict:
    """Export `model` (FP32, CPU), quantise it to INT8 calibrated on `crops` (N,3,H,W network inputs), write it
    with its sidecar to `out` (atomically: a half-written file is never found in the cache); returns how far
    INT8 moves the keypoints from FP32 on those crops (core.engines.int8.keypoint_change)."""
    from alphapose_ros.core.engines.int8 import keypoint_change, quantize_int8
    from alphapose_ros.core.engines.onnx_export import export_onnx, sidecar_path, state_sha256, write_sidecar
    from alphapose_ros.core.engines.runtimes import load_runtime

    out.parent.mkdir(parents=True, exist_ok=True)
    model = model.float().cpu().eval()
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = export_onnx(model, cfg.input_hw, Path(tmp) / "fp32.onnx")
        part = Path(tmp) / out.name
        quantize_int8(fp32, part, crops)
        x = torch.from_numpy(crops[:32])
        with torch.inference_mode():
            want = model(x)
        change = keypoint_change(cfg, want, load_runtime("onnxruntime", part)(x))
        write_sidecar(part, cfg, precision="int8", checkpoint_sha256=state_sha256(model),
                      calibration=f"first use: {len(crops)} crops from the stream")
        sidecar_path(part).replace(sidecar_path(out))
        part.replace(out)
    return change


class FirstUseInt8:
    """Collects crops from a stream's frames (`offer`), quantises in the background once it has `crops` of
    them, and hands the INT8 estimator over once (`ready`). `make_estimator(path)` builds the estimator that
    runs the INT8 file (the stream's own batch size, flip, re-ID embedder)."""

    def __init__(self, cfg: PoseModelConfig, model: torch.nn.Module, make_estimator: Callable[[Path], object],
                 crops: int = 64, cache: Path | None = None):
        from alphapose_ros.core.engines.onnx_export import state_sha256

        if crops < 1:
            raise ValueError(f"crops must be >= 1, got {crops}")
        self.cfg, self.want, self.make_estimator = cfg, int(crops), make_estimator
        self._model = copy.deepcopy(model).float().cpu().eval()  # exported in the background: not the live one
        self.path = int8_path(cfg, state_sha256(model), cache)
        self._crops: list[np.ndarray] = []
        self._have = 0
        self._thread: threading.Thread | None = None
        self._estimator = None
        self.change: dict | None = None  # keypoint change vs FP32 on the calibration crops, once quantised
        self.error: str | None = None
        self.done = False  # handed over, or given up

    def cached(self):
        """The INT8 estimator from the cache (made by an earlier run on these weights), or None."""
        if not self.path.is_file():
            return None
        try:
            est = self.make_estimator(self.path)
        except Exception as e:  # noqa: BLE001 - a damaged cache file: calibrate again
            log.warning("INT8 file in the cache unusable (%s): calibrating a new one", e)
            return None
        self.done = True
        self._model = None
        return est

    def offer(self, image_rgb: np.ndarray, boxes: np.ndarray) -> None:
        """Keep the crops of these people until there are enough, then start quantising (once)."""
        if self.done or self._thread is not None or len(boxes) == 0:
            return
        crops, _ = crop_batch(image_rgb, np.asarray(boxes, np.float32).reshape(-1, 4), self.cfg.input_hw)
        self._crops.append(crops[: self.want - self._have])
        self._have += len(self._crops[-1])
        if self._have >= self.want:
            thread = threading.Thread(target=self._quantize, name="int8_calibration", daemon=True)
            thread.start()
            self._thread = thread  # set once started: `wait` and `ready` from other threads may look at it

    def _quantize(self) -> None:
        try:
            self.change = quantize_pose_network(self.cfg, self._model, np.concatenate(self._crops), self.path)
            self._estimator = self.make_estimator(self.path)
        except Exception as e:  # noqa: BLE001 - the stream keeps its FP32 network; said once by the caller
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self._crops, self._model = [], None

    def ready(self):
        """The INT8 estimator the first time it is ready, else None (also after an error: see `error`)."""
        if self.done or self._thread is None or self._thread.is_alive():
            return None
        self.done = True
        est, self._estimator = self._estimator, None
        return est

    def wait(self, timeout: float | None = None) -> None:
        """Block until the background quantisation (if started) has finished (tests, offline tools)."""
        if self._thread is not None:
            self._thread.join(timeout)
