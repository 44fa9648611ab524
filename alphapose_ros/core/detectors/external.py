"""Boxes supplied by the caller (a detection file, another ROS node) through the same
filtering as every detector: person class, confidence threshold, box NMS, clamping."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.core.detectors.nms import nms


@dataclass(frozen=True)
class BoxFilter:
    confidence: float = 0.1
    nms_thresh: float | None = 0.6  # None: keep overlapping boxes (pose NMS sorts them out)
    person_class: int | None = 0
    min_area: float = 0.0


def filter_boxes(det: Detections, image_wh: tuple[int, int] | None, f: BoxFilter = BoxFilter()) -> Detections:
    """Apply the detection-stage rules to external boxes; drops non-finite and empty boxes."""
    b = np.asarray(det.boxes, np.float32).reshape(-1, 4).copy()
    s = np.asarray(det.scores, np.float32).reshape(-1)
    c = np.asarray(det.classes, np.int64).reshape(-1)
    finite = np.isfinite(b).all(1)  # before clamping, which would turn an infinite box into the whole image
    if image_wh is not None:
        w, h = image_wh
        b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, w)
        b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, h)
    ok = finite & np.isfinite(s) & (s >= f.confidence)
    ok &= ((b[:, 2] - b[:, 0]) > 0) & ((b[:, 3] - b[:, 1]) > 0)
    ok &= (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) >= f.min_area
    if f.person_class is not None:
        ok &= c == f.person_class
    b, s, c = b[ok], s[ok], c[ok]
    if f.nms_thresh is not None and len(b):
        k = nms(b, s, f.nms_thresh)
        b, s, c = b[k], s[k], c[k]
    return Detections(b, s, c)
