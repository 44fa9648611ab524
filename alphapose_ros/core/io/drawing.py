"""Draw skeletons on an image (annotated frames for people and for RViz images)."""
from __future__ import annotations

import cv2
import numpy as np

from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.skeletons import get_format


def draw_poses(image_bgr: np.ndarray, poses: PoseSet, min_score: float = 0.05,
               draw_boxes: bool = True) -> np.ndarray:
    """A copy of the image with each pose's links and keypoints above `min_score`."""
    out = image_bgr.copy()
    fmt = get_format(poses.format_name)
    links = fmt.real_links()
    for i in range(len(poses)):
        tid = int(poses.track_ids[i])
        color = _color(tid if tid >= 0 else i)
        kp, sc = poses.keypoints[i], poses.keypoint_scores[i]
        ok = np.isfinite(kp).all(1) & (sc > min_score)
        pts = np.round(np.nan_to_num(kp)).astype(int)
        for a, b in links:
            if ok[a] and ok[b]:
                cv2.line(out, tuple(pts[a]), tuple(pts[b]), color, 2, cv2.LINE_AA)
        for j in np.flatnonzero(ok):
            cv2.circle(out, tuple(pts[j]), 2, color, -1, cv2.LINE_AA)
        if draw_boxes and np.isfinite(poses.boxes[i]).all():  # a NaN box is drawn as no box, never a crash
            x1, y1, x2, y2 = np.round(poses.boxes[i]).astype(int)
            cv2.rectangle(out, (x1, y1), (x2, y2), color, 1)
            if tid >= 0:
                cv2.putText(out, str(tid), (x1, max(0, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, color, 1)
    return out


def _color(k: int) -> tuple[int, int, int]:
    h = (k * 47) % 180
    hsv = np.uint8([[[h, 220, 255]]])
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])
