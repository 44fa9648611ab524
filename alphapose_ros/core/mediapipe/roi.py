"""Rotated square regions of interest: cut them out of an image, map crop points back.

MediaPipe's landmark models want the body (hand, face) upright and centred in a square crop,
so an ROI is a centre, a side length and a rotation. Crop coordinates are continuous: (0,0)
is the crop's top-left corner and (S,S) its bottom-right, as the models' outputs are.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Rois:
    """centre (N,2) image px, side (N,) px, angle (N,) rad (0 = upright; the ROI's up axis
    is turned clockwise by `angle` in the image)."""

    centre: np.ndarray
    side: np.ndarray
    angle: np.ndarray

    def __len__(self) -> int:
        return len(self.centre)

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """The crop's x and y axes as unit vectors in the image, (N,2) each."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        return np.stack([c, s], 1), np.stack([-s, c], 1)

    def select(self, keep: np.ndarray) -> "Rois":
        return Rois(self.centre[keep], self.side[keep], self.angle[keep])


def rois_from_boxes(boxes_xyxy: np.ndarray, scale: float = 1.25) -> Rois:
    """Upright square ROIs on box centres, side = longer box side x `scale`."""
    b = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4)
    wh = b[:, 2:] - b[:, :2]
    return Rois((b[:, :2] + b[:, 2:]) / 2, wh.max(1) * scale, np.zeros(len(b)))


def rois_from_points(centre: np.ndarray, up: np.ndarray, scale: float, shift: float = 0.0) -> Rois:
    """ROIs whose up axis points from `centre` to `up` (N,2 each), side = 2|up - centre| x `scale`,
    moved by `shift` x |up - centre| along that axis."""
    c, u = np.asarray(centre, np.float64), np.asarray(up, np.float64)
    d = u - c
    r = np.linalg.norm(d, axis=1)
    angle = np.arctan2(d[:, 0], -d[:, 1])
    return Rois(c + shift * d, 2 * r * scale, angle)


def crop_to_image_matrices(rois: Rois, size: int) -> np.ndarray:
    """(N,2,3) affine maps from continuous crop coordinates to continuous image coordinates."""
    ax, ay = rois.axes()
    k = (rois.side / size)[:, None]
    origin = rois.centre - (ax + ay) * (rois.side / 2)[:, None]
    return np.stack([ax * k, ay * k, origin], 2)


def to_image(points: np.ndarray, rois: Rois, size: int) -> np.ndarray:
    """Crop points (N,K,2) -> image points (N,K,2)."""
    m = crop_to_image_matrices(rois, size)
    return np.einsum("nij,nkj->nki", m[:, :, :2], points) + m[:, None, :, 2]


def crop_rois(image_rgb: np.ndarray, rois: Rois, size: int) -> np.ndarray:
    """(N,size,size,3) float32 crops in [0,1], zero outside the image (bilinear)."""
    out = np.zeros((len(rois), size, size, 3), np.float32)
    m = crop_to_image_matrices(rois, size)
    # cv2 maps integer pixel indices: index i has its centre at continuous coordinate i + 0.5
    m[:, :, 2] += m[:, :, :2].sum(2) * 0.5 - 0.5
    for i in range(len(rois)):
        c = cv2.warpAffine(image_rgb, m[i], (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        out[i] = c
    return out * np.float32(1 / 255)
