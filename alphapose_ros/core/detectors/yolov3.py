"""YOLOv3-SPP person detector, as AlphaPose runs it (FACTS.md section 5).

Letterbox to 608 (cubic resize, centred on grey 128, RGB, /255), decode the three
[yolo] heads, keep boxes whose objectness > confidence (0.1) and whose best class is
person, per-image NMS on objectness (IoU >= 0.6 suppressed, +1-pixel areas; redone at
0.55 when more than 100 survive), map back to the image and clamp. The score passed
on is the objectness.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from alphapose_ros.core.detectors.base import Detections, NetworkSpec, input_dtype, prepare_network
from alphapose_ros.core.detectors.darknet import Darknet, decode_yolo_output, parse_cfg
from alphapose_ros.core.detectors.nms import box_nms


@dataclass(frozen=True)
class YoloSettings:
    inp_dim: int = 608
    confidence: float = 0.1  # the paper's low threshold, for recall
    nms_thresh: float = 0.6
    person_class: int = 0
    max_boxes: int = 100  # more survivors than this: NMS again at nms_thresh - 0.05
    box_nms: str = "hard"  # hard (AlphaPose's) | soft (Gaussian soft-NMS: scores decayed, not deleted)


def letterbox(image_bgr: np.ndarray, inp_dim: int) -> np.ndarray:
    """(1,3,S,S) float32 RGB in [0,1]: aspect-kept cubic resize centred on grey 128."""
    h, w = image_bgr.shape[:2]
    scale = min(inp_dim / w, inp_dim / h)
    nw, nh = int(w * scale), int(h * scale)
    resized = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((inp_dim, inp_dim, 3), 128, np.uint8)
    top, left = (inp_dim - nh) // 2, (inp_dim - nw) // 2
    canvas[top:top + nh, left:left + nw] = resized
    return (canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0).copy()


def filter_predictions(pred: torch.Tensor, s: YoloSettings) -> list[np.ndarray]:
    """Decoded predictions (B,R,5+C) -> per image rows (x1,y1,x2,y2, objectness, class score, class)
    in letterbox pixels, after the objectness threshold, person filter and NMS."""
    out = []
    p = pred.detach().cpu().numpy().astype(np.float32)
    for img in p:
        img = img[img[:, 4] > s.confidence]
        if not len(img):
            out.append(np.zeros((0, 7), np.float32))
            continue
        cls = img[:, 5:].argmax(1)
        cls_score = img[np.arange(len(img)), 5 + cls]
        keep = cls == s.person_class
        img, cls, cls_score = img[keep], cls[keep], cls_score[keep]
        boxes = np.stack([img[:, 0] - img[:, 2] / 2, img[:, 1] - img[:, 3] / 2,
                          img[:, 0] + img[:, 2] / 2, img[:, 1] + img[:, 3] / 2], 1)
        k, decay = box_nms(boxes, img[:, 4], s.nms_thresh, s.box_nms, plus_one=True, score_thresh=s.confidence)
        if len(k) > s.max_boxes and s.box_nms == "hard":
            k, decay = box_nms(boxes, img[:, 4], s.nms_thresh - 0.05, plus_one=True)
        obj = (img[k, 4] * decay).astype(np.float32)[:, None]
        out.append(np.concatenate([boxes[k], obj, cls_score[k, None], cls[k, None].astype(np.float32)], 1))
    return out


def unletterbox(rows: np.ndarray, image_wh: tuple[int, int], inp_dim: int) -> np.ndarray:
    """Boxes (N,4) from letterbox pixels back to the image, clamped to [0,w]x[0,h]."""
    w, h = image_wh
    scale = min(inp_dim / w, inp_dim / h)
    b = rows[:, :4].astype(np.float32).copy()
    b[:, [0, 2]] -= (inp_dim - scale * w) / 2
    b[:, [1, 3]] -= (inp_dim - scale * h) / 2
    b /= scale
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, w)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, h)
    return b


class YoloV3Detector:
    """YOLOv3-SPP from a darknet cfg + weights; batched; CPU or CUDA; fp16 on CUDA."""

    name = "yolov3-spp"

    def __init__(self, cfg_path: str | Path, weights_path: str | Path | None, settings: YoloSettings = YoloSettings(),
                 device: str = "cpu", half: bool = False, engine: str = "torch", exported: str | Path | None = None):
        self.settings = settings
        self.device = torch.device(device)
        self.net = Darknet(parse_cfg(Path(cfg_path).read_text()))
        if weights_path is not None:
            self.net.load_weights(weights_path)
        self.spec = NetworkSpec(self.name, (settings.inp_dim,) * 2, len(self.net.yolo),
                                "RGB 0-1 letterboxed into a grey-128 square")
        self.net, self.half, self.runtime = prepare_network(  # torch runs self.net; an engine its export
            self.net, self.device, half, engine, self.spec, exported, weights_path is not None)

    def network_inputs(self, images_bgr: list[np.ndarray]) -> np.ndarray:
        """(N,3,S,S) float32: the images as the network takes them."""
        return np.concatenate([letterbox(im, self.settings.inp_dim) for im in images_bgr])

    @torch.inference_mode()
    def predictions(self, batch: torch.Tensor) -> torch.Tensor:
        """Decoded (B,R,85) predictions of a letterboxed batch, heads concatenated."""
        raw = (self.runtime or self.net)(batch.to(self.device, input_dtype(self.half)))
        inp = batch.shape[-1]
        return torch.cat([decode_yolo_output(r, y["anchors"], inp, y["classes"])
                          for r, y in zip(raw, self.net.yolo)], 1)

    def detect(self, images_bgr: list[np.ndarray]) -> list[Detections]:
        if not images_bgr:
            return []
        s = self.settings
        batch = torch.from_numpy(self.network_inputs(images_bgr))
        out = []
        for im, rows in zip(images_bgr, filter_predictions(self.predictions(batch), s)):
            boxes = unletterbox(rows, (im.shape[1], im.shape[0]), s.inp_dim)
            out.append(Detections(boxes, rows[:, 4].copy(), rows[:, 6].astype(np.int64)))
        return out
