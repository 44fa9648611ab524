"""Symmetric Integral Keypoint Regression (SIKR) decoding, paper section 3.1.

Two-step normalisation: c = sigmoid(logits) is the confidence map and the joint score
is its maximum (eq. 13-14); p = c / sum(c) is the probability map (eq. 15) and the
location is its expectation (soft-argmax, eq. 1) over pixel indices. The symmetric
gradient exists only in training (see training/losses); inference is this.
"""
from __future__ import annotations

import torch


def decode_integral(logits: torch.Tensor, norm: str = "sigmoid") -> tuple[torch.Tensor, torch.Tensor]:
    """Keypoints (N,K,2) in heatmap pixels and scores (N,K) from logits (N,K,H,W).

    norm="sigmoid" is SIKR (every shipped AlphaPose regression model); "softmax" is the
    one-step normalisation of plain integral regression, whose score is constant 1.
    """
    n, k, h, w = logits.shape
    flat = logits.reshape(n, k, h * w).float()
    if norm == "sigmoid":
        conf = flat.sigmoid()
        scores = conf.amax(dim=2)
        prob = conf / conf.sum(dim=2, keepdim=True)
    elif norm == "softmax":
        prob = flat.softmax(dim=2)
        scores = torch.ones((n, k), dtype=prob.dtype, device=prob.device)
    else:
        raise ValueError(f"unknown integral normalisation {norm!r} (use 'sigmoid' or 'softmax')")
    prob = prob.reshape(n, k, h, w)
    xs = torch.arange(w, dtype=prob.dtype, device=prob.device)
    ys = torch.arange(h, dtype=prob.dtype, device=prob.device)
    x = (prob.sum(dim=2) * xs).sum(dim=-1)
    y = (prob.sum(dim=3) * ys).sum(dim=-1)
    return torch.stack([x, y], dim=-1), scores
