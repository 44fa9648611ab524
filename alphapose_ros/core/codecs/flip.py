"""Flip test: mirror the network output of a mirrored crop back onto the original.

Mirror along the width, swap the channels of every left/right pair, then shift one
pixel right (column j takes column j-1, column 0 kept) to undo the half-pixel
asymmetry of mirrored crops.

AlphaPose writes that shift as an in-place copy between overlapping views of one
tensor. What that yields depends on PyTorch's copy kernel: on CPU with torch 2.x it
smears columns (seen in the reference vectors: from some column on, every value
repeats), not the one-pixel shift the code means. `shift="pixel"` (default) is the
intended shift; `shift="alphapose_inplace"` repeats upstream's overlapping copy to
reproduce its flip-test outputs bit for bit where the kernel behaves the same.
"""
from __future__ import annotations

import numpy as np
import torch

SHIFTS = ("pixel", "none", "alphapose_inplace")


def flip_maps(maps: torch.Tensor, flip_perm: np.ndarray | torch.Tensor, shift: str = "pixel") -> torch.Tensor:
    """Align maps (N,K,H,W) computed on mirrored crops with the unmirrored ones."""
    perm = torch.as_tensor(np.asarray(flip_perm), dtype=torch.long, device=maps.device)
    out = maps.flip(-1)[:, perm]
    if shift == "pixel":
        out = torch.cat([out[..., :1], out[..., :-1]], dim=-1)
    elif shift == "alphapose_inplace":
        out = out.contiguous()
        out[..., 1:] = out[..., :-1]  # deliberately overlapping, as upstream does
    elif shift != "none":
        raise ValueError(f"unknown flip shift {shift!r}; expected one of {SHIFTS}")
    return out


def merge_flipped(maps: torch.Tensor, maps_of_flipped: torch.Tensor, flip_perm: np.ndarray,
                  shift: str = "pixel") -> torch.Tensor:
    """The demo's flip test: average raw outputs (logits for SIKR models) before decoding."""
    return (maps + flip_maps(maps_of_flipped, flip_perm, shift)) * 0.5
