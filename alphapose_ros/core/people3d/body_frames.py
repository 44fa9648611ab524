"""A coordinate frame per person from 3D keypoints: ROS4HRI's `body_<id>` and REP-103's axes.

Origin at the torso centre (mean of the valid shoulders and hips); z up along the spine (hip centre to
shoulder centre); y to the person's left (right-to-left shoulder and hip vectors, made orthogonal to z);
x = y cross z, forward out of the chest. A person without both shoulders and at least one hip in 3D has
no frame (ok False). Vectorised over people.
"""
from __future__ import annotations

import numpy as np

from alphapose_ros.core.skeletons import get_format

SIDES = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


def torso_frames(xyz: np.ndarray, format_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N,K,3) keypoints in metres -> origins (N,3), rotations (N,3,3) whose columns are the body's x, y, z
    axes in the keypoints' frame, and ok (N,) bool."""
    names = get_format(format_name).names
    n = len(xyz)
    if n == 0 or not all(s in names for s in SIDES):
        return np.zeros((n, 3)), np.tile(np.eye(3), (n, 1, 1)), np.zeros(n, bool)
    ls, rs, lh, rh = (np.asarray(xyz[:, names.index(s)], np.float64) for s in SIDES)
    shoulders = (ls + rs) / 2
    hips = np.where(np.isfinite(lh) & np.isfinite(rh), (lh + rh) / 2, np.where(np.isfinite(lh), lh, rh))
    up = shoulders - hips
    left = np.nan_to_num(ls - rs) + np.nan_to_num(lh - rh)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = up / np.linalg.norm(up, axis=1, keepdims=True)
        y = left - (left * z).sum(1, keepdims=True) * z
        y /= np.linalg.norm(y, axis=1, keepdims=True)
    x = np.cross(y, z)
    rot = np.stack([x, y, z], axis=2)
    ok = np.isfinite(rot).all((1, 2)) & (np.linalg.norm(up, axis=1) > 0.05)
    torso = np.stack([ls, rs, lh, rh], 1)
    valid = np.isfinite(torso).all(2, keepdims=True)
    origin = np.where(valid, torso, 0.0).sum(1) / np.maximum(valid.sum(1), 1)
    rot[~ok] = np.eye(3)
    return origin, rot, ok


def rotation_to_quaternion(rot: np.ndarray) -> np.ndarray:
    """(N,3,3) rotation matrices -> (N,4) unit quaternions x, y, z, w (w >= 0)."""
    r = np.asarray(rot, np.float64).reshape(-1, 3, 3)
    tr = np.trace(r, axis1=1, axis2=2)
    cand = np.stack([  # four well-conditioned forms; pick the one with the largest denominator per row
        np.stack([r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1], 1 + tr], 1),
        np.stack([1 + r[:, 0, 0] - r[:, 1, 1] - r[:, 2, 2], r[:, 0, 1] + r[:, 1, 0], r[:, 0, 2] + r[:, 2, 0],
                  r[:, 2, 1] - r[:, 1, 2]], 1),
        np.stack([r[:, 0, 1] + r[:, 1, 0], 1 + r[:, 1, 1] - r[:, 0, 0] - r[:, 2, 2], r[:, 1, 2] + r[:, 2, 1],
                  r[:, 0, 2] - r[:, 2, 0]], 1),
        np.stack([r[:, 0, 2] + r[:, 2, 0], r[:, 1, 2] + r[:, 2, 1], 1 + r[:, 2, 2] - r[:, 0, 0] - r[:, 1, 1],
                  r[:, 1, 0] - r[:, 0, 1]], 1)], 1)
    best = np.argmax(np.stack([1 + tr, 1 + r[:, 0, 0] - r[:, 1, 1] - r[:, 2, 2],
                               1 + r[:, 1, 1] - r[:, 0, 0] - r[:, 2, 2], 1 + r[:, 2, 2] - r[:, 0, 0] - r[:, 1, 1]], 1),
                     axis=1)
    q = cand[np.arange(len(r)), best]
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return q * np.where(q[:, 3:] < 0, -1.0, 1.0)
