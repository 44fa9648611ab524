"""Heatmap decoding (models trained with MSE on Gaussian heatmaps).

Per joint: the argmax of the map (first maximum in row-major order), moved a quarter
pixel toward the larger neighbour on each axis when the peak is strictly inside
(1 < x < W-1, 1 < y < H-1); score = the maximum value; a map whose maximum is <= 0
puts its joint at (0, 0) of the map.
"""
from __future__ import annotations

import torch


def argmax_coords(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer peak (N,K,2) as float (x, y) and peak values (N,K) of maps (N,K,H,W)."""
    n, k, h, w = maps.shape
    flat = maps.reshape(n, k, h * w)
    maxvals, idx = flat.max(dim=2)  # documented to return the first maximal index
    coords = torch.stack([(idx % w).to(maps.dtype), torch.div(idx, w, rounding_mode="floor").to(maps.dtype)], -1)
    coords = torch.where((maxvals > 0).unsqueeze(-1), coords, torch.zeros_like(coords))
    return coords, maxvals


def quarter_offset(maps: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Shift each interior peak by +/-0.25 px toward its larger neighbour (sign of the gradient)."""
    n, k, h, w = maps.shape
    px = torch.floor(coords[..., 0] + 0.5).long()
    py = torch.floor(coords[..., 1] + 0.5).long()
    inside = (px > 1) & (px < w - 1) & (py > 1) & (py < h - 1)
    pxc = px.clamp(1, w - 2)
    pyc = py.clamp(1, h - 2)
    flat = maps.reshape(n, k, h * w)

    def at(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return flat.gather(2, (y * w + x).unsqueeze(-1)).squeeze(-1)

    dx = at(pyc, pxc + 1) - at(pyc, pxc - 1)
    dy = at(pyc + 1, pxc) - at(pyc - 1, pxc)
    shift = torch.stack([torch.sign(dx), torch.sign(dy)], -1) * 0.25
    return coords + torch.where(inside.unsqueeze(-1), shift, torch.zeros_like(shift))


def decode_heatmaps(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keypoints (N,K,2) in heatmap pixels and scores (N,K) from heatmaps (N,K,H,W)."""
    coords, maxvals = argmax_coords(maps)
    return quarter_offset(maps, coords), maxvals
