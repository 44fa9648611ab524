"""BlazePose's person detector (MediaPipe `pose_detection.tflite`) behind the Detector interface.

The network is an SSD on a 224x224 letterboxed RGB image in [-1, 1], with 2254 fixed-size
anchors (feature maps 28, 14 and 7 with 2, 2 and 6 anchors per cell). Each anchor regresses a
head box and four points: hip centre, a point whose distance from the hip centre is the radius
of a circle around the whole body, shoulder centre, and the same for the upper body. The person
box reported here is the square around that body circle. Overlapping raw detections are
averaged weighted by score (weighted NMS), as BlazeFace/BlazePose do.

The model is made for people who fill much of the frame; for far-away people (a surveillance
view) `tile` adds overlapping tiles (stride half a tile), all run as one batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.core.detectors.nms import iou_one_to_many
from alphapose_ros.core.mediapipe.assets import model_path
from alphapose_ros.core.mediapipe.runtime import TfliteModel

INPUT = 224
GRIDS = ((28, 2), (14, 2), (7, 6))  # feature map size, anchors per cell


@dataclass(frozen=True)
class BlazePoseDetectorSettings:
    min_score: float = 0.5       # MediaPipe's own threshold; the sigmoid of the raw score
    nms_iou: float = 0.3         # head boxes overlapping more than this are one person
    body_scale: float = 1.0      # person box half-side = body-circle radius x this
    max_people: int = 100
    tile: int = 0                # > 0: also run on overlapping tiles of this size (finds small people)


def anchors() -> np.ndarray:
    """(2254,2) anchor centres in [0,1], in the network's output order (row-major, anchors innermost)."""
    out = []
    for size, per_cell in GRIDS:
        ys, xs = np.meshgrid((np.arange(size) + 0.5) / size, (np.arange(size) + 0.5) / size, indexing="ij")
        out.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], 1), per_cell, 0))
    return np.concatenate(out)


def letterbox(image_rgb: np.ndarray) -> tuple[np.ndarray, tuple[float, np.ndarray]]:
    """224x224 [-1,1] input with the image centred; returns it and (scale, (x,y) offset)."""
    h, w = image_rgb.shape[:2]
    s = INPUT / max(h, w)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    off = np.array([(INPUT - nw) // 2, (INPUT - nh) // 2])
    canvas = np.zeros((INPUT, INPUT, 3), np.uint8)
    canvas[off[1]:off[1] + nh, off[0]:off[0] + nw] = cv2.resize(image_rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    return canvas.astype(np.float32) * np.float32(1 / 127.5) - 1.0, (s, off)


def decode(raw: np.ndarray, logits: np.ndarray, anchor_xy: np.ndarray, min_score: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw (A,12) regressions and (A,) logits -> head boxes (M,4), points (M,4,2), scores (M,), in input px."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80, 80)))
    keep = np.flatnonzero(scores >= min_score)
    r, a = raw[keep], anchor_xy[keep] * INPUT
    centre, wh = r[:, :2] + a, r[:, 2:4]
    boxes = np.concatenate([centre - wh / 2, centre + wh / 2], 1)
    points = r[:, 4:12].reshape(-1, 4, 2) + a[:, None]
    return boxes, points, scores[keep]


def weighted_nms(boxes: np.ndarray, points: np.ndarray, scores: np.ndarray, iou: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cluster by IoU with the best remaining box; each cluster becomes its score-weighted mean."""
    order = np.argsort(-scores, kind="stable")
    boxes, points, scores = boxes[order], points[order], scores[order]
    alive = np.ones(len(scores), bool)
    ob, op, os_ = [], [], []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        members = alive & (iou_one_to_many(boxes[i], boxes) > iou)
        members[i] = True
        w = scores[members] / scores[members].sum()
        ob.append(w @ boxes[members])
        op.append(np.tensordot(w, points[members], 1))
        os_.append(scores[i])
        alive &= ~members
    if not ob:
        return np.zeros((0, 4)), np.zeros((0, 4, 2)), np.zeros(0)
    return np.array(ob), np.array(op), np.array(os_)


class BlazePoseDetector:
    """People as squares around BlazePose's body circles; `last_points` keeps the four alignment points."""

    name = "blazepose"

    def __init__(self, settings: BlazePoseDetectorSettings = BlazePoseDetectorSettings(),
                 model: str | Path | None = None, num_threads: int = 2):
        self.settings = settings
        self.model = TfliteModel(model or model_path("pose_detection"), num_threads)
        self._anchors = anchors()
        self.last_points: list[np.ndarray] = []

    def detect(self, images_bgr: list[np.ndarray]) -> list[Detections]:
        out, self.last_points = [], []
        for im in images_bgr:
            d, pts = self._one(im)
            out.append(d)
            self.last_points.append(pts)
        return out

    def _one(self, image_bgr: np.ndarray) -> tuple[Detections, np.ndarray]:
        s = self.settings
        if image_bgr is None or image_bgr.size == 0 or image_bgr.ndim != 3:
            return Detections.empty(), np.zeros((0, 4, 2), np.float32)
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        views = [(0, 0, w, h)] + tiles(w, h, s.tile)
        inputs, maps = zip(*(letterbox(rgb[y0:y1, x0:x1]) for x0, y0, x1, y1 in views))
        raw, logits = self.model.run(np.stack(inputs))
        all_boxes, all_points, all_scores = [], [], []
        for v, (scale, off), r, lg in zip(views, maps, raw, logits):
            boxes, points, scores = decode(r, lg[:, 0], self._anchors, s.min_score)
            shift = np.array(v[:2]) - off / scale  # input px -> image px: p / scale + shift
            all_boxes.append(boxes / scale + np.tile(shift, 2))
            all_points.append(points / scale + shift)
            all_scores.append(scores)
        boxes, points, scores = weighted_nms(np.concatenate(all_boxes), np.concatenate(all_points),
                                             np.concatenate(all_scores), s.nms_iou)
        points, scores = points[: s.max_people], scores[: s.max_people]
        radius = np.linalg.norm(points[:, 1] - points[:, 0], axis=1, keepdims=True) * s.body_scale
        person = np.concatenate([points[:, 0] - radius, points[:, 0] + radius], 1).reshape(-1, 4)
        person = np.clip(person, 0, [w, h, w, h])
        ok = (person[:, 2] > person[:, 0]) & (person[:, 3] > person[:, 1])
        return (Detections(person[ok].astype(np.float32), scores[ok].astype(np.float32),
                           np.zeros(int(ok.sum()), np.int64)), points[ok].astype(np.float32))


def tiles(w: int, h: int, size: int) -> list[tuple[int, int, int, int]]:
    """Overlapping size x size windows (stride size/2) covering the image; none if size <= 0 or too big."""
    if size <= 0 or (size >= w and size >= h):
        return []
    xs = sorted({*range(0, max(w - size, 0) + 1, max(size // 2, 1)), max(w - size, 0)})
    ys = sorted({*range(0, max(h - size, 0) + 1, max(size // 2, 1)), max(h - size, 0)})
    return [(x, y, min(x + size, w), min(y + size, h)) for y in ys for x in xs]
