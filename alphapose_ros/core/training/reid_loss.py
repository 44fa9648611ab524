"""Joint pose + identity training of the re-ID branch (paper section 4.3).

Samples without an identity (pose-only data such as COCO: identity -1) add nothing to the
identity loss, so the re-ID branch gets no gradient from them. The two losses are balanced
by learned task uncertainties (Kendall et al. 2018, as JDE does):
    L = exp(-s_pose) L_pose + exp(-s_id) L_id + s_pose + s_id.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def identity_loss(logits: torch.Tensor, identities: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the samples that have an identity (>= 0); 0 when none has."""
    has = identities >= 0
    if not bool(has.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[has], identities[has])


class UncertaintyBalance(nn.Module):
    """Learned weights for the pose and identity losses."""

    def __init__(self):
        super().__init__()
        self.s_pose = nn.Parameter(torch.zeros(()))
        self.s_id = nn.Parameter(torch.zeros(()))

    def forward(self, pose_loss: torch.Tensor, id_loss: torch.Tensor) -> torch.Tensor:
        return torch.exp(-self.s_pose) * pose_loss + torch.exp(-self.s_id) * id_loss + self.s_pose + self.s_id
