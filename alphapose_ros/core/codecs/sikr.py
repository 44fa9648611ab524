"""Symmetric Integral Keypoint Regression (SIKR) decoding, paper section 3.1.

Two-step normalisation: c = sigmoid(logits) is the confidence map and the joint score
is its maximum (eq. 13-14); p = c / sum(c) is the probability map (eq. 15) and the
location is its expectation (soft-argmax, eq. 1) over pixel indices. The symmetric
gradient exists only in training (training/sikr_loss.py); inference is this.
"""
from __future__ import annotations

import threading

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
    """Keypoints (N,K,2) in heatmap pixels and scores (N,K) from logits (N,K,H,W).

    The same numbers as soft_argmax(normalise(...)) (coordinates within float rounding, scores identical)
    without the probability map: the expectation is taken from the confidence map's marginals and divided
    by its total once. On the CPU the confidence map goes into a reused per-thread buffer: allocating a
    fresh one costs more than the sigmoid itself (page faults on ~50 MB for 32 Halpe-136 crops).
    """
    n, k, h, w = logits.shape
    x = logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits
    if norm == "sigmoid":
        conf = torch.sigmoid(x, out=_scratch_like(x)) if _reusable(x) else x.sigmoid()
        scores = conf.amax(dim=(2, 3))
    elif norm == "softmax":  # exp relative to the maximum, as softmax computes it
        conf = (x - x.amax(dim=(2, 3), keepdim=True)).exp_()
        scores = torch.ones((n, k), dtype=conf.dtype, device=conf.device)
    else:
        raise ValueError(f"unknown integral normalisation {norm!r} (use 'sigmoid' or 'softmax')")
    col, row = conf.sum(dim=2), conf.sum(dim=3)  # (N,K,W), (N,K,H)
    total = col.sum(dim=2)
    xs = torch.arange(w, dtype=conf.dtype, device=conf.device)
    ys = torch.arange(h, dtype=conf.dtype, device=conf.device)
    return torch.stack([(col * xs).sum(dim=2) / total, (row * ys).sum(dim=2) / total], dim=-1), scores


_scratch = threading.local()


def _reusable(x: torch.Tensor) -> bool:
    return x.device.type == "cpu" and not x.requires_grad


def _scratch_like(x: torch.Tensor) -> torch.Tensor:
    """A buffer shaped like `x`, kept per thread and grown as needed (never shared between threads)."""
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.numel() < x.numel() or buf.dtype != x.dtype:
        with torch.inference_mode(False):  # a normal tensor: writable inside and outside inference mode
            buf = _scratch.buf = torch.empty(x.numel(), dtype=x.dtype)
    return buf[:x.numel()].view(x.shape)
