"""Decode a pose network's output into image-space keypoints, per head type.

head = "heatmap" (MSE-trained), "integral" (SIKR) or "combined" (the first K-110
channels as heatmaps, the last 110 - face and hands - as SIKR; 42 hand channels for
the 68-keypoint model).
"""
from __future__ import annotations

import numpy as np
import torch

from alphapose_ros.core.codecs.heatmap import decode_heatmaps
from alphapose_ros.core.codecs.sikr import decode_integral
from alphapose_ros.core.pose.crop import heatmap_to_image

HEADS = ("heatmap", "integral", "combined")


def decode_maps(maps: torch.Tensor, head: str, num_integral: int = 110,
                norm: str = "sigmoid") -> tuple[torch.Tensor, torch.Tensor]:
    """Keypoints (N,K,2) in heatmap pixels and scores (N,K)."""
    if head == "heatmap":
        return decode_heatmaps(maps)
    if head == "integral":
        return decode_integral(maps, norm)
    if head == "combined":
        split = maps.shape[1] - num_integral
        c1, s1 = decode_heatmaps(maps[:, :split])
        c2, s2 = decode_integral(maps[:, split:], norm)
        return torch.cat([c1, c2.to(c1.dtype)], 1), torch.cat([s1, s2.to(s1.dtype)], 1)
    raise ValueError(f"unknown head {head!r}; expected one of {HEADS}")


def decode_to_image(maps: torch.Tensor, cropped_boxes: np.ndarray, head: str,
                    num_integral: int = 110, norm: str = "sigmoid") -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (N,K,2) in image pixels (float32) and scores (N,K) (float32)."""
    h, w = maps.shape[-2:]
    coords, scores = decode_maps(maps.float(), head, num_integral, norm)
    xy = heatmap_to_image(coords.detach().cpu().numpy().astype(np.float64), cropped_boxes, (w, h))
    return xy.astype(np.float32), scores.detach().cpu().numpy().astype(np.float32)
