"""Symmetric Integral Keypoint Regression (SIKR) decoding, paper section 3.1.

Two-step normalisation: c = sigmoid(logits) is the confidence map and the joint score
is its maximum (eq. 13-14); p = c / sum(c) is the probability map (eq. 15) and the
location is its expectation (soft-argmax, eq. 1) over pixel indices. The symmetric
gradient exists only in training (training/sikr_loss.py); inference is this.
"""
from __future__ import annotations

import torch


def normalise(logits: torch.Tensor, norm: str = "sigmoid") -> tuple[torch.Tensor, torch.Tensor]:
    """Probability maps (N,K,H,W) summing to 1 and joint scores (N,K) from logits (N,K,H,W).

    norm="sigmoid" is SIKR's two-step normalisation (every shipped AlphaPose regression
    model); "softmax" is plain integral regression's one step, whose score is constant 1.
    Differentiable: training uses it too.
    """
    n, k, h, w = logits.shape
    flat = logits.reshape(n, k, h * w)
    flat = flat.float() if flat.dtype in (torch.float16, torch.bfloat16) else flat
    if norm == "sigmoid":
        conf = flat.sigmoid()
        scores = conf.amax(dim=2)
        prob = conf / conf.sum(dim=2, keepdim=True)
    elif norm == "softmax":
        prob = flat.softmax(dim=2)
        scores = torch.ones((n, k), dtype=prob.dtype, device=prob.device)
    else:
        raise ValueError(f"unknown integral normalisation {norm!r} (use 'sigmoid' or 'softmax')")
    return prob.reshape(n, k, h, w), scores


def soft_argmax(prob: torch.Tensor) -> torch.Tensor:
    """Expected (x, y) pixel index (N,K,2) of probability maps (N,K,H,W) (eq. 1)."""
    h, w = prob.shape[-2:]
    xs = torch.arange(w, dtype=prob.dtype, device=prob.device)
    ys = torch.arange(h, dtype=prob.dtype, device=prob.device)
    return torch.stack([(prob.sum(dim=-2) * xs).sum(dim=-1), (prob.sum(dim=-1) * ys).sum(dim=-1)], dim=-1)


def decode_integral(logits: torch.Tensor, norm: str = "sigmoid") -> tuple[torch.Tensor, torch.Tensor]:
    """Keypoints (N,K,2) in heatmap pixels and scores (N,K) from logits (N,K,H,W)."""
    prob, scores = normalise(logits, norm)
    return soft_argmax(prob), scores
