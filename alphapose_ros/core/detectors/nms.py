"""Box NMS and soft-NMS (linear and Gaussian), vectorised over boxes.

IoU can use the +1-pixel area convention ((x2-x1+1)*(y2-y1+1)) that AlphaPose's
YOLOv3 path uses, or continuous coordinates (YOLOX / torchvision convention).
"""
from __future__ import annotations

import numpy as np


def iou_one_to_many(box: np.ndarray, boxes: np.ndarray, plus_one: bool = False) -> np.ndarray:
    """IoU of one box (4,) with boxes (M,4), xyxy."""
    o = 1.0 if plus_one else 0.0
    iw = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]) + o, 0, None)
    ih = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]) + o, 0, None)
    inter = iw * ih
    a = (box[2] - box[0] + o) * (box[3] - box[1] + o)
    b = (boxes[:, 2] - boxes[:, 0] + o) * (boxes[:, 3] - boxes[:, 1] + o)
    return inter / np.maximum(a + b - inter, 1e-12)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_thresh: float, plus_one: bool = False,
        suppress_equal: bool = True) -> np.ndarray:
    """Greedy NMS: indices kept, highest score first (ties in input order); a box is
    suppressed when its IoU with a kept box is >= iou_thresh (> iou_thresh when
    suppress_equal is False, torchvision's convention)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores, np.float64), kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        if order.size == 1:
            break
        ov = iou_one_to_many(b[i], b[order[1:]], plus_one)
        order = order[1:][(ov < iou_thresh) if suppress_equal else (ov <= iou_thresh)]
    return np.array(keep, dtype=np.int64)


def soft_nms(boxes: np.ndarray, scores: np.ndarray, method: str = "gaussian", sigma: float = 0.5,
             iou_thresh: float = 0.3, score_thresh: float = 0.001,
             plus_one: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Soft-NMS (Bodla et al. 2017): decay, not delete, overlapping boxes.

    linear: s *= (1 - IoU) when IoU > iou_thresh; gaussian: s *= exp(-IoU^2 / sigma).
    Returns kept indices (in pick order) and their decayed scores; boxes whose score
    falls below score_thresh are dropped.
    """
    if method not in ("linear", "gaussian"):
        raise ValueError(f"unknown soft-NMS method {method!r} (linear or gaussian)")
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    s = np.asarray(scores, np.float64).copy()
    idx = np.arange(len(b))
    keep, kept_scores = [], []
    while idx.size:
        j = int(np.argmax(s[idx]))
        i = idx[j]
        if s[i] < score_thresh:
            break
        keep.append(int(i))
        kept_scores.append(s[i])
        idx = np.delete(idx, j)
        if not idx.size:
            break
        ov = iou_one_to_many(b[i], b[idx], plus_one)
        if method == "linear":
            s[idx] *= np.where(ov > iou_thresh, 1.0 - ov, 1.0)
        else:
            s[idx] *= np.exp(-(ov ** 2) / sigma)
        idx = idx[s[idx] >= score_thresh]
    return np.array(keep, dtype=np.int64), np.array(kept_scores)


BOX_NMS = ("hard", "soft")


def box_nms(boxes: np.ndarray, scores: np.ndarray, iou_thresh: float, method: str = "hard", plus_one: bool = False,
            suppress_equal: bool = True, score_thresh: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """Kept indices and the factor each kept score is multiplied by: hard NMS (factors 1), or Gaussian
    soft-NMS (sigma 0.5), which decays overlapping boxes instead of deleting them, for crowds whose
    people overlap more than `iou_thresh`."""
    if method == "hard":
        k = nms(boxes, scores, iou_thresh, plus_one, suppress_equal)
        return k, np.ones(len(k))
    if method != "soft":
        raise ValueError(f"unknown box NMS {method!r} (one of {', '.join(BOX_NMS)})")
    k, decayed = soft_nms(boxes, scores, "gaussian", 0.5, score_thresh=score_thresh, plus_one=plus_one)
    s = np.asarray(scores, np.float64)[k]
    return k, np.where(s > 0, decayed / np.where(s > 0, s, 1), 0.0)
