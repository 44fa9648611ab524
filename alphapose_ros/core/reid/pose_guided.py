"""The paper's pose-aware identity embedding (section 4.1): a re-ID branch on the pose
network's backbone, with Pose-Guided Attention.

A 1x1 conv + BN + ReLU turns the backbone's feature map into the re-ID feature map m_id; a
plain conv layer turns the pose head's K keypoint maps (pooled to m_id's size) into the
attention map m_A; the weighted map is m_wid = m_id * m_A + m_id (eq. 20), so the attention
can raise the person's region and cancel the background (m_A -> -1). Global average pooling
and a fully connected layer give the 128-d embedding (L2-normalised). An identity
classifier on top trains it; training on pose-only data simply leaves identities unset.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PoseGuidedReID(nn.Module):
    def __init__(self, feature_channels: int, num_keypoints: int, embed_dim: int = 128,
                 reid_channels: int = 256, num_identities: int = 0, attention: bool = True):
        super().__init__()
        self.reduce = nn.Sequential(nn.Conv2d(feature_channels, reid_channels, 1, bias=False),
                                    nn.BatchNorm2d(reid_channels), nn.ReLU())
        self.attention = nn.Conv2d(num_keypoints, 1, 3, padding=1) if attention else None
        self.fc = nn.Linear(reid_channels, embed_dim)
        self.classifier = nn.Linear(embed_dim, num_identities) if num_identities > 0 else None

    def attention_map(self, heatmaps: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """m_A (N,1,h,w) from keypoint maps (N,K,H,W) pooled to the re-ID map's size."""
        return self.attention(F.adaptive_avg_pool2d(heatmaps, size))

    def forward(self, features: torch.Tensor, heatmaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(unit embeddings (N,D), identity logits (N,I) or None)."""
        m_id = self.reduce(features)
        if self.attention is not None:
            m_id = m_id * self.attention_map(heatmaps, m_id.shape[-2:]) + m_id
        emb = self.fc(m_id.mean((2, 3)))
        logits = self.classifier(emb) if self.classifier is not None else None
        return F.normalize(emb, dim=1), logits


class MapsAndFeatures(nn.Module):
    """A FastPose/SimplePose giving (keypoint maps, backbone features): one pass for the pose and the
    re-ID branch, traceable like the network itself."""

    def __init__(self, pose_model: nn.Module):
        super().__init__()
        self.pose = pose_model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.pose.preact(x)
        return self.pose.head(features), features


def backbone_channels(pose_model: nn.Module) -> int:
    """Output channels of the ResNet backbone (2048 for ResNet-50 and deeper)."""
    last = [m for m in pose_model.preact.modules() if isinstance(m, nn.BatchNorm2d)][-1]
    return last.num_features
