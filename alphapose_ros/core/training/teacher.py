"""Real footage labelled by a teacher: the no-download MediaPipe backend's keypoints on its
own person detections become COCO-format labels (the distillation recipe's second source).

Only confident people are kept; a keypoint is labelled (v=2) where the teacher's score is at
least `min_score`, and unlabelled (v=0) elsewhere, so uncertain joints carry no loss.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from alphapose_ros.core.training.datasets import DatasetWriter


def teacher_people(keypoints: np.ndarray, scores: np.ndarray, boxes: np.ndarray, image_wh: tuple[int, int],
                   min_score: float = 0.5, min_keypoints: int = 8) -> list[dict]:
    """COCO people from a teacher's (N,K,2) keypoints, (N,K) scores and (N,4) boxes."""
    w, h = image_wh
    out = []
    for kp, sc, box in zip(keypoints, scores, boxes):
        inside = (kp[:, 0] >= 0) & (kp[:, 0] < w) & (kp[:, 1] >= 0) & (kp[:, 1] < h)
        v = np.where((sc >= min_score) & inside, 2, 0)
        if (v > 0).sum() < min_keypoints:
            continue
        lab = kp[v > 0]
        x0, y0 = np.minimum(lab.min(0), box[:2]).clip(0)
        x1, y1 = np.maximum(lab.max(0), box[2:]).clip(None, [w - 1, h - 1])
        # COCO's area is the segment's; a person fills roughly half of their box
        out.append({"keypoints": np.concatenate([kp, v[:, None]], 1), "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "area": float(0.5 * (x1 - x0) * (y1 - y0))})
    return out


def label_frames(frames: Iterable[np.ndarray], detector, estimator, writer: DatasetWriter,
                 min_score: float = 0.5) -> int:
    """Run detector + teacher on BGR frames, write frames with at least one kept person;
    returns the number of people labelled."""
    n = 0
    for bgr in frames:
        det = detector.detect([bgr])[0]
        if len(det.boxes) == 0:
            continue
        out = estimator(bgr[..., ::-1].copy(), det.boxes)
        people = teacher_people(out.keypoints, out.keypoint_scores, det.boxes, (bgr.shape[1], bgr.shape[0]),
                                min_score)
        if people:
            writer.add(bgr, people)
            n += len(people)
    return n
