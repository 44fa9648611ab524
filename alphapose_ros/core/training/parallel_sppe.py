"""Training losses of a FastPose with RMPE's SSTN + SDTN (MODEL.STN; core.models.stn).

The main loss is the pose loss of the maps brought back into the crop's frame by the SDTN. The
parallel SPPE is the same pose network, its weights held fixed, on the SSTN's refined crop: it is
scored against the person's pose shifted to the crop centre, and that loss reaches the SSTN only
(RMPE, section 3.2), pulling it to centre the person. Both share one forward pass: the parallel
branch's maps are the refined-crop maps the main branch computes anyway.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from alphapose_ros.core.models.stn import centred_targets, to_refined

PoseLoss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def stn_losses(model: nn.Module, x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
               pose_loss: PoseLoss) -> tuple[torch.Tensor, torch.Tensor]:
    """(main loss, parallel SPPE loss) for one batch; targets in heatmap pixels of the crop."""
    stn = model.stn
    theta = stn.theta(x)
    maps = model.head(model.preact(stn.sstn(x, theta)))
    main = pose_loss(stn.sdtn(maps, theta), target, weight)
    hw = tuple(maps.shape[-2:])
    centred = centred_targets(to_refined(target.to(theta.dtype), theta.detach(), hw), weight, hw)
    return main, pose_loss(maps, centred, weight)


def backward_with_parallel(model: nn.Module, main: torch.Tensor, parallel: torch.Tensor,
                           parallel_weight: float) -> None:
    """main.backward() for every weight, plus parallel_weight x the parallel loss's gradient for the SSTN's
    weights only (the pose network is fixed in the parallel branch)."""
    params = [p for p in model.stn.parameters() if p.requires_grad]
    extra = (torch.autograd.grad(parallel * parallel_weight, params, retain_graph=True, allow_unused=True)
             if parallel_weight > 0 else [None] * len(params))
    main.backward()
    for p, g in zip(params, extra):
        if g is not None:
            p.grad = g if p.grad is None else p.grad + g
