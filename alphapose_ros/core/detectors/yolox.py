"""YOLOX person detector, as AlphaPose runs it (FACTS.md section 5).

Pre-processing: aspect-kept INTER_LINEAR resize into a 640 x 640 canvas of grey 114,
pasted at the top-left, BGR, raw 0-255 floats. Decoding: per grid cell,
centre = (offset + cell) * stride, size = exp(log-size) * stride. Filtering: keep
rows whose best class is person and whose objectness x class score >= 0.1, NMS on
that product (IoU > 0.6 suppressed, continuous areas, torchvision's convention; redone
0.05 tighter when more than 100 survive), divide by the resize ratio (no clamping).
The score passed on is the objectness.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from alphapose_ros.core.pose.checkpoints import load_state_dict_strict, read_state_dict
from alphapose_ros.core.detectors.base import Detections, NetworkSpec, input_dtype, prepare_network
from alphapose_ros.core.detectors.nms import box_nms
from alphapose_ros.core.detectors.yolox_net import VARIANTS, YoloxNet

PAD_VALUE = 114


@dataclass(frozen=True)
class YoloxSettings:
    inp_dim: int = 640  # AlphaPose uses 640 for every variant
    confidence: float = 0.1  # on objectness x person score, the paper's low threshold
    nms_thresh: float = 0.6
    person_class: int = 0
    max_boxes: int = 100  # more survivors than this: NMS again at nms_thresh - 0.05
    box_nms: str = "hard"  # hard (AlphaPose's) | soft (Gaussian soft-NMS: scores decayed, not deleted)


def preprocess(image_bgr: np.ndarray, inp_dim: int | tuple[int, int]) -> tuple[np.ndarray, float]:
    """(3,H,W) float32 BGR 0-255 with the image resized into the top-left corner, and the ratio.
    `inp_dim`: the side of a square input, or (H, W)."""
    ih, iw = (inp_dim, inp_dim) if isinstance(inp_dim, int) else inp_dim
    h, w = image_bgr.shape[:2]
    r = min(ih / h, iw / w)
    resized = cv2.resize(image_bgr, (int(w * r), int(h * r)), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((ih, iw, 3), PAD_VALUE, np.uint8)
    canvas[:resized.shape[0], :resized.shape[1]] = resized
    return np.ascontiguousarray(canvas.transpose(2, 0, 1), dtype=np.float32), r


def decode(levels: list[torch.Tensor], strides: tuple[int, ...] = YoloxNet.strides) -> torch.Tensor:
    """Head outputs per level (B,5+C,H,W) -> (B,R,5+C) rows cx, cy, w, h (input pixels), obj, classes."""
    rows = []
    for out, s in zip(levels, strides):
        b, c, h, w = out.shape
        ys, xs = torch.meshgrid(torch.arange(h, device=out.device), torch.arange(w, device=out.device), indexing="ij")
        grid = torch.stack([xs, ys], -1).reshape(1, h * w, 2).to(out.dtype)
        o = out.flatten(2).permute(0, 2, 1)
        rows.append(torch.cat([(o[..., :2] + grid) * s, torch.exp(o[..., 2:4]) * s, o[..., 4:]], -1))
    return torch.cat(rows, 1)


def filter_rows(rows: np.ndarray, s: YoloxSettings) -> tuple[np.ndarray, np.ndarray]:
    """Decoded rows (R,5+C) of one image -> person boxes (N,4) xyxy in input pixels and objectness (N,)."""
    obj = rows[:, 4]
    cls = rows[:, 5:].argmax(1)
    conf = obj * rows[np.arange(len(rows)), 5 + cls]
    keep = (conf >= s.confidence) & (cls == s.person_class)
    r, conf, obj = rows[keep], conf[keep], obj[keep]
    boxes = np.stack([r[:, 0] - r[:, 2] / 2, r[:, 1] - r[:, 3] / 2, r[:, 0] + r[:, 2] / 2, r[:, 1] + r[:, 3] / 2], 1)
    k, decay = box_nms(boxes, conf, s.nms_thresh, s.box_nms, suppress_equal=False, score_thresh=s.confidence)
    if len(k) > s.max_boxes and s.box_nms == "hard":
        k, decay = box_nms(boxes, conf, s.nms_thresh - 0.05, suppress_equal=False)
    return boxes[k].reshape(-1, 4).astype(np.float32), (obj[k] * decay).astype(np.float32)


def variant_of(state: dict[str, torch.Tensor]) -> str | None:
    """The YOLOX variant a state_dict belongs to, from its stem width and CSP depth."""
    stem = state.get("backbone.backbone.stem.conv.conv.weight")
    if stem is None:
        return None
    width = stem.shape[0] / 64
    depthwise = "backbone.backbone.dark2.0.dconv.conv.weight" in state
    n = len({k.split(".")[5] for k in state if k.startswith("backbone.backbone.dark2.1.m.")})
    for name, v in VARIANTS.items():
        if abs(v.width - width) < 1e-6 and v.depthwise == depthwise and max(round(v.depth * 3), 1) == n:
            return name
    return None


class YoloxDetector:
    """YOLOX from an official release checkpoint (state dict under "model"); batched; CPU or CUDA; fp16 on CUDA."""

    def __init__(self, variant: str, weights_path: str | Path | None, settings: YoloxSettings = YoloxSettings(),
                 device: str = "cpu", half: bool = False, engine: str = "torch", exported: str | Path | None = None):
        if variant not in VARIANTS:
            raise ValueError(f"unknown YOLOX variant {variant!r} (one of {', '.join(VARIANTS)})")
        self.name = variant
        self.settings = settings
        self.device = torch.device(device)
        self.net = YoloxNet(variant)
        if weights_path is not None:
            state = read_state_dict(weights_path)
            fits = variant_of(state)
            try:
                load_state_dict_strict(self.net, state, source=str(weights_path))
            except Exception as e:
                hint = f" - the file is {fits}" if fits else ""
                raise type(e)(f"{e}\n  (building {variant}{hint})") from e
        self.spec = NetworkSpec(variant, (settings.inp_dim,) * 2, len(YoloxNet.strides),
                                "BGR 0-255 resized into a grey-114 square, top-left")
        self.net, self.half, self.runtime = prepare_network(  # torch runs self.net; an engine its export
            self.net, self.device, half, engine, self.spec, exported, weights_path is not None)

    def network_inputs(self, images_bgr: list[np.ndarray]) -> np.ndarray:
        """(N,3,H,W) float32: the images as the network takes them."""
        return np.stack([preprocess(im, self.settings.inp_dim)[0] for im in images_bgr])

    @torch.inference_mode()
    def predictions(self, batch: torch.Tensor) -> torch.Tensor:
        """Decoded (B,R,5+C) rows of a pre-processed batch."""
        levels = (self.runtime or self.net)(batch.to(self.device, input_dtype(self.half)))
        return decode([lv.float() for lv in levels])  # exp() of log-sizes in fp32

    def detect(self, images_bgr: list[np.ndarray]) -> list[Detections]:
        if not images_bgr:
            return []
        s = self.settings
        batch = torch.from_numpy(self.network_inputs(images_bgr))
        out = []
        for im, rows in zip(images_bgr, self.predictions(batch).cpu().numpy()):
            ratio = min(s.inp_dim / im.shape[0], s.inp_dim / im.shape[1])
            boxes, obj = filter_rows(rows, s)
            out.append(Detections(boxes / ratio, obj, np.full(len(obj), s.person_class, np.int64)))
        return out
