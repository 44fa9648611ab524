"""Training losses: SIKR's L1 on soft-argmax locations with the amplitude-symmetric
gradient (paper eq. 3), and the MSE loss of heatmap heads.

Plain autograd gives each pixel the gradient x * dL/dmu (eq. 2): its size depends on
where the pixel is, not on how far it is from the prediction. The amplitude-symmetric
gradient replaces x by A_grad * sgn(x - mu_hat), centred on the prediction, with
A_grad = heatmap size / 8 per axis (the Lipschitz argument of section 3.1). The forward
pass is unchanged; only the backward pass of the soft-argmax differs.
"""
from __future__ import annotations

import torch

from alphapose_ros.core.codecs.sikr import normalise, soft_argmax


class SymmetricSoftArgmax(torch.autograd.Function):
    """soft_argmax forward; amplitude-symmetric backward (eq. 3)."""

    @staticmethod
    def forward(ctx, prob: torch.Tensor) -> torch.Tensor:
        mu = soft_argmax(prob)
        ctx.save_for_backward(mu)
        ctx.hw = prob.shape[-2:]
        return mu

    @staticmethod
    def backward(ctx, grad_mu: torch.Tensor) -> torch.Tensor:
        (mu,) = ctx.saved_tensors
        h, w = ctx.hw
        xs = torch.arange(w, dtype=mu.dtype, device=mu.device)
        ys = torch.arange(h, dtype=mu.dtype, device=mu.device)
        # (N,K,W) and (N,K,H) per-axis terms A * sgn(x - mu_hat) * dL/dmu_hat, broadcast over the map
        gx = (w / 8.0) * torch.sign(xs - mu[..., 0:1]) * grad_mu[..., 0:1]
        gy = (h / 8.0) * torch.sign(ys - mu[..., 1:2]) * grad_mu[..., 1:2]
        return gx[..., None, :] + gy[..., :, None]


def integral_locations(logits: torch.Tensor, norm: str = "sigmoid", symmetric: bool = True
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """Differentiable keypoints (N,K,2) in heatmap pixels and scores (N,K) from logits (N,K,H,W)."""
    prob, scores = normalise(logits, norm)
    return (SymmetricSoftArgmax.apply(prob) if symmetric else soft_argmax(prob)), scores


def sikr_l1_loss(logits: torch.Tensor, target_xy: torch.Tensor, target_weight: torch.Tensor,
                 norm: str = "sigmoid", symmetric: bool = True) -> torch.Tensor:
    """Mean L1 distance (heatmap pixels) between predicted and target keypoints, over visible
    joints (target_weight (N,K) is 0 for missing/unlabelled ones)."""
    xy, _ = integral_locations(logits, norm, symmetric)
    w = target_weight.to(xy.dtype)[..., None]
    return (torch.abs(xy - target_xy) * w).sum() / w.sum().clamp(min=1.0) / 2


def gaussian_heatmaps(target_xy: torch.Tensor, hw: tuple[int, int], sigma: float = 2.0) -> torch.Tensor:
    """Training targets (N,K,H,W): a unit Gaussian at each keypoint (heatmap pixels)."""
    h, w = hw
    xs = torch.arange(w, dtype=target_xy.dtype, device=target_xy.device)
    ys = torch.arange(h, dtype=target_xy.dtype, device=target_xy.device)
    gx = torch.exp(-((xs - target_xy[..., 0:1]) ** 2) / (2 * sigma ** 2))
    gy = torch.exp(-((ys - target_xy[..., 1:2]) ** 2) / (2 * sigma ** 2))
    return gy[..., :, None] * gx[..., None, :]


def heatmap_mse_loss(pred: torch.Tensor, target_xy: torch.Tensor, target_weight: torch.Tensor,
                     sigma: float = 2.0) -> torch.Tensor:
    """MSE between predicted heatmaps (N,K,H,W) and Gaussian targets, visible joints only."""
    target = gaussian_heatmaps(target_xy, pred.shape[-2:], sigma)
    w = target_weight.to(pred.dtype)[..., None, None]
    return (((pred - target) ** 2) * w).sum() / (w.sum().clamp(min=1.0) * pred.shape[-1] * pred.shape[-2])
