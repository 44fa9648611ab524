"""Top-down pose estimator: an image and N person boxes in, N whole-body poses out.

Crops every box (batched), runs the network in batches of `batch_size`, optionally
with the flip test, and decodes with the config's head (heatmap / SIKR / combined).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from alphapose_ros.core.pose.checkpoints import load_checkpoint
from alphapose_ros.core.codecs.decode import decode_to_image
from alphapose_ros.core.codecs.flip import merge_flipped
from alphapose_ros.core.pose.crop import crop_batch, crop_batch_torch
from alphapose_ros.core.models.config import PoseModelConfig, build_model, load_config
from alphapose_ros.core.skeletons import get_format


@dataclass
class EstimatorOutput:
    """keypoints (N,K,2) image px, keypoint_scores (N,K), cropped_boxes (N,4) padded crop boxes,
    embeddings (N,D) unit re-ID vectors when the estimator has an embedder."""

    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    cropped_boxes: np.ndarray
    embeddings: np.ndarray | None = None

    @property
    def pose_scores(self) -> np.ndarray:
        """(N,) mean keypoint score: the person confidence pose NMS ranks by."""
        return self.keypoint_scores.mean(1) if self.keypoint_scores.shape[1] else np.zeros(len(self.keypoint_scores))

    def finite(self) -> np.ndarray:
        """(N,) True where every coordinate, score and embedding value is finite."""
        ok = np.isfinite(self.keypoints).all((1, 2)) & np.isfinite(self.keypoint_scores).all(1)
        return ok if self.embeddings is None else ok & np.isfinite(self.embeddings).all(1)

    def select(self, rows: np.ndarray) -> "EstimatorOutput":
        """The output of the given rows (indices or a boolean mask)."""
        return EstimatorOutput(self.keypoints[rows], self.keypoint_scores[rows], self.cropped_boxes[rows],
                               None if self.embeddings is None else self.embeddings[rows])


def prepare_model(model: torch.nn.Module, device: torch.device | str, half: bool = False) -> torch.nn.Module:
    """Eval mode on `device`, fp16 if asked (CUDA only), channels-last (about 20% faster on CPU here)."""
    if half and torch.device(device).type != "cuda":
        raise ValueError("fp16 inference needs a CUDA device")
    model = model.to(device).eval()
    if half:
        model = model.half()
    return model.to(memory_format=torch.channels_last)


def batch_bucket(n: int, batch_size: int) -> int:
    """The padded size of a batch of `n` crops: the next power of two, at most `batch_size`."""
    return min(batch_size, 1 << max(0, n - 1).bit_length())


def script_model(model: torch.nn.Module, input_hw: tuple[int, int], device: torch.device,
                 half: bool = False) -> torch.nn.Module:
    """Trace and freeze the network. The traced forward runs in C++ without taking the GIL
    between layers, which keeps inference fast when other Python threads are busy (a ROS
    node receiving a 30 Hz camera: ~7x faster there on this machine)."""
    from alphapose_ros.core.engines.onnx_export import TRACE_LOCK

    x = torch.zeros(2, 3, *input_hw, device=device, dtype=torch.float16 if half else torch.float32)
    with TRACE_LOCK, torch.inference_mode():
        return torch.jit.freeze(torch.jit.trace(model, x.contiguous(memory_format=torch.channels_last)))


def exported_model(model: torch.nn.Module, cfg: PoseModelConfig, cache: Path | None = None) -> Path:
    """The ONNX export of `model` (with its sidecar) in the engine cache, made on first use."""
    from alphapose_ros.core.engines.onnx_export import cached_export, write_sidecar

    return cached_export(model, cfg.input_hw, "pose", cache=cache, write_sidecar=lambda path, digest: write_sidecar(
        path, cfg, precision="fp32", checkpoint_sha256=digest))


class PoseEstimator:
    """FastPose/SimplePose/HRNet inference on person boxes, CPU or CUDA, fp32 or fp16; the network run by
    torch (eager or traced) or by an exported-model engine (ONNX Runtime, OpenVINO: core.engines)."""

    def __init__(self, cfg: PoseModelConfig, model, device: str = "cpu",
                 half: bool = False, batch_size: int = 32, flip: bool = False, flip_shift: str = "pixel",
                 torchscript: bool = False, embedder=None, engine: str = "torch", threads: int = 0,
                 pad_batches: bool | None = None):
        self.cfg = cfg
        self.embedder = embedder  # re-ID on the same crops (core.reid.embedder), or None
        self.format = get_format(cfg.keypoint_format)
        self.device = torch.device(device)
        self.half = half
        self.engine = engine
        self._shared_reid = bool(getattr(embedder, "needs_features", False))
        if self._shared_reid:  # pose-guided re-ID: embeddings from this network's own backbone pass
            if engine != "torch":
                raise ValueError("pose-guided re-ID embeddings need the pose network's backbone features: "
                                 "run it with engine torch")
            embedder.bind(model, self.format.num_keypoints, self.device, half)
            from alphapose_ros.core.reid.pose_guided import MapsAndFeatures

            model = MapsAndFeatures(model)
        if engine != "torch" and isinstance(model, torch.nn.Module):  # export once, then run the engine
            from alphapose_ros.core.engines.runtimes import load_runtime

            model = load_runtime(engine, exported_model(model, cfg), device, fp16=half, threads=threads)
        if isinstance(model, torch.nn.Module):
            if threads > 0:
                torch.set_num_threads(threads)  # process-wide
            self.model = prepare_model(model, self.device, half)
            if torchscript:
                self.model = script_model(self.model, self.cfg.input_hw, self.device, half)
        else:  # an engine session: float32 NCHW in, maps out (fp16 is the engine's business)
            self.model = model
        self.batch_size = max(1, int(batch_size))
        self.flip = flip
        self.flip_shift = flip_shift
        self._flip_perm = self.format.flip_permutation()
        # on CUDA, batches padded to powers of two and those shapes run once now: a frame with a new number
        # of people then meets kernels already chosen and loaded, not a latency spike
        self.pad_batches = (self.device.type == "cuda" and engine == "torch") if pad_batches is None else pad_batches
        if self.pad_batches and isinstance(self.model, torch.nn.Module):
            with torch.inference_mode():
                for m in sorted({batch_bucket(n, self.batch_size) for n in range(1, self.batch_size + 1)}):
                    self._forward(torch.zeros(m, 3, *cfg.input_hw))

    @property
    def head(self) -> str:
        """heatmap | integral | combined: what pose NMS tunes its defaults by."""
        return self.cfg.head

    def describe(self) -> str:
        return self.cfg.describe() + ("" if self.engine == "torch" else f", {self.engine} engine")

    @classmethod
    def from_files(cls, config_path: str | Path, checkpoint_path: str | Path | None, **kwargs) -> "PoseEstimator":
        """Build from an AlphaPose YAML config and (optionally) its checkpoint."""
        cfg = load_config(config_path)
        model = build_model(cfg)
        if checkpoint_path is not None:
            load_checkpoint(model, checkpoint_path, cfg)
        return cls(cfg, model, **kwargs)

    @classmethod
    def from_exported(cls, onnx_path: str | Path, engine: str = "onnxruntime", device: str = "cpu",
                      half: bool = False, threads: int = 0, **kwargs) -> "PoseEstimator":
        """Run an `alphapose-export` file: its sidecar gives the config, no torch network is built."""
        from alphapose_ros.core.engines.onnx_export import config_from_dict, read_sidecar
        from alphapose_ros.core.engines.runtimes import load_runtime

        meta = read_sidecar(onnx_path)
        if meta.get("kind", "pose") != "pose" or "config" not in meta:
            raise ValueError(f"{onnx_path}: not a pose model export (it is a {meta.get('kind')} export)")
        cfg = config_from_dict(meta["config"])
        runtime = load_runtime(engine, onnx_path, device, fp16=half, threads=threads)
        return cls(cfg, runtime, device=device, half=half, engine=engine, **kwargs)

    @torch.inference_mode()
    def __call__(self, image_rgb: np.ndarray | torch.Tensor, boxes_xyxy: np.ndarray) -> EstimatorOutput:
        """Poses for `boxes_xyxy` (N,4) in an RGB uint8 image (H,W,3), NumPy or a device tensor."""
        boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
        k = self.format.num_keypoints
        if len(boxes) == 0:
            return EstimatorOutput(np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32),
                                   np.zeros((0, 4)))
        if isinstance(image_rgb, torch.Tensor) or self.device.type == "cuda":
            img = torch.as_tensor(image_rgb).to(self.device, non_blocking=True)
            crops, cropped = crop_batch_torch(img, boxes, self.cfg.input_hw)
        else:
            crops_np, cropped = crop_batch(image_rgb, boxes, self.cfg.input_hw)
            crops = torch.from_numpy(crops_np)
        parts = [self._forward(crops[i:i + self.batch_size]) for i in range(0, len(crops), self.batch_size)]
        maps = torch.cat([m for m, _ in parts])
        xy, scores = decode_to_image(maps, cropped, self.cfg.head, self.cfg.num_integral, self.cfg.norm_type)
        if self._shared_reid:
            emb = np.concatenate([e for _, e in parts])
        else:
            emb = None if self.embedder is None else self.embedder(crops)
        return EstimatorOutput(xy, scores, cropped, emb)

    def _forward(self, crops: torch.Tensor) -> tuple[torch.Tensor, np.ndarray | None]:
        """(keypoint maps, pose-guided embeddings of the unflipped crops or None) for one batch."""
        fp16_input = self.half and self.engine == "torch"
        x = crops.to(self.device, dtype=torch.float16 if fp16_input else torch.float32, non_blocking=True)
        n = len(x)
        m = batch_bucket(n, self.batch_size) if self.pad_batches else n
        if m > n:
            x = torch.cat([x, x.new_zeros((m - n, *x.shape[1:]))])
        x = x.contiguous(memory_format=torch.channels_last)
        if self.flip:
            x = torch.cat([x, x.flip(-1)])
        emb = None
        if self._shared_reid:
            out, features = self.model(x)
            emb = self.embedder.embed(features[:n], out[:n])
        else:
            out = self.model(x)
        out = out.float()
        if not self.flip:
            return out[:n], emb
        return merge_flipped(out[:n], out[m:m + n], self._flip_perm, self.flip_shift), emb
