"""INT8 on first use: a CPU robot's AlphaPose pose network (and YOLO detector) quantised from what its camera shows.

INT8 runs these networks 2-4x faster on a CPU, but needs activation ranges calibrated on real inputs, which a
user does not have before the robot runs. So the stream calibrates itself: the first people's crops (the
detector: the first frames) are kept until there are enough, then an INT8 copy is exported and quantised in a
background thread (the FP32 network keeps answering meanwhile) and handed over when ready. The file is cached
in the engine cache under a digest of the weights, so later starts load it at once and other weights get
their own.
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
    """Collects calibration samples from a stream's frames (`offer`), quantises in a background thread once it
    has `want` of them, and hands the INT8 model over once (`ready`). `sample(image, boxes)` turns a frame into
    samples (an array, one per row), `quantize(samples, path)` writes the INT8 file and returns how far it moved
    the outputs (or None), `make(path)` builds what runs it. Use `for_pose_network` / `for_detector`."""

    def __init__(self, path: Path, sample: Callable[[np.ndarray, np.ndarray], np.ndarray],
                 quantize: Callable[[np.ndarray, Path], dict | None], make: Callable[[Path], object], want: int):
        if want < 1:
            raise ValueError(f"want must be >= 1, got {want}")
        self.path, self.want = path, int(want)
        self._sample, self._quantize_fn, self.make = sample, quantize, make
        self._samples: list[np.ndarray] = []
        self._have = 0
        self._thread: threading.Thread | None = None
        self._result = None
        self.change: dict | None = None  # how far INT8 moved the outputs on the calibration samples
        self.error: str | None = None
        self.done = False  # handed over, or given up

    @property
    def started(self) -> bool:
        """Whether enough samples came and quantising has begun (or is over)."""
        return self._thread is not None

    def cached(self):
        """What runs the INT8 file an earlier run made for these weights, or None."""
        if not self.path.is_file():
            return None
        try:
            made = self.make(self.path)
        except Exception as e:  # noqa: BLE001 - a damaged cache file: calibrate again
            log.warning("INT8 file in the cache unusable (%s): calibrating a new one", e)
            return None
        self.done = True
        self._quantize_fn = None
        return made

    def offer(self, image: np.ndarray, boxes: np.ndarray) -> None:
        """Keep this frame's samples until there are enough, then start quantising (once)."""
        if self.done or self._thread is not None:
            return
        got = self._sample(image, np.asarray(boxes, np.float32).reshape(-1, 4))[: self.want - self._have]
        if not len(got):
            return
        self._samples.append(got)
        self._have += len(got)
        if self._have >= self.want:
            thread = threading.Thread(target=self._quantize, name="int8_calibration", daemon=True)
            thread.start()
            self._thread = thread  # set once started: `wait` and `ready` from other threads may look at it

    def _quantize(self) -> None:
        try:
            self.change = self._quantize_fn(np.concatenate(self._samples), self.path)
            self._result = self.make(self.path)
        except Exception as e:  # noqa: BLE001 - the stream keeps its FP32 network; said once by the caller
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self._samples, self._quantize_fn = [], None

    def ready(self):
        """The INT8 model the first time it is ready, else None (also after an error: see `error`)."""
        if self.done or self._thread is None or self._thread.is_alive():
            return None
        self.done = True
        made, self._result = self._result, None
        return made

    def wait(self, timeout: float | None = None) -> None:
        """Block until the background quantisation (if started) has finished (tests, offline tools)."""
        if self._thread is not None:
            self._thread.join(timeout)


def for_pose_network(cfg: PoseModelConfig, model: torch.nn.Module, make: Callable[[Path], object],
                     crops: int = 64, cache: Path | None = None) -> FirstUseInt8:
    """INT8 on first use for an AlphaPose network: samples are the people's crops (RGB frames, person boxes)."""
    from alphapose_ros.core.engines.onnx_export import state_sha256

    model = copy.deepcopy(model).float().cpu().eval()  # exported in the background: not the live one
    return FirstUseInt8(int8_path(cfg, state_sha256(model), cache),
                        lambda rgb, boxes: crop_batch(rgb, boxes, cfg.input_hw)[0] if len(boxes) else boxes[:0],
                        lambda crops, path: quantize_pose_network(cfg, model, crops, path), make, crops)


def for_detector(detector, make: Callable[[Path], object], frames: int = 16,
                 cache: Path | None = None) -> FirstUseInt8:
    """INT8 on first use for a YOLO detector (YoloxDetector, YoloV3Detector): samples are whole frames (BGR)."""
    from alphapose_ros.core.engines.onnx_export import state_sha256

    det = copy.copy(detector)
    det.net = copy.deepcopy(detector.net).float().cpu().eval()  # exported in the background: not the live one
    spec = det.spec
    path = (cache or cache_dir() / "engines") / \
        f"{spec.name}_{state_sha256(det.net)[:16]}_{spec.input_hw[0]}x{spec.input_hw[1]}_int8.onnx"
    return FirstUseInt8(path, lambda bgr, boxes: bgr[None],
                        lambda frames, out: quantize_detector_atomically(det, list(frames), out), make, frames)


def quantize_detector_atomically(detector, frames_bgr: list[np.ndarray], out: Path) -> None:
    """core.engines.int8.quantize_detector into `out`, which appears (with its sidecar) only when complete."""
    from alphapose_ros.core.engines.int8 import quantize_detector
    from alphapose_ros.core.engines.onnx_export import sidecar_path

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        part = quantize_detector(detector, frames_bgr, Path(tmp) / out.name)
        sidecar_path(part).replace(sidecar_path(out))
        part.replace(out)
