"""FastPose (paper section 5.2): SE-ResNet backbone, PixelShuffle + two DUC up-samplings,
and a 3x3 output conv producing one 64x48 map per keypoint (raw logits/heatmaps)."""
from __future__ import annotations

import torch
from torch import nn

from alphapose_ros.core.models.layers import DUC
from alphapose_ros.core.models.resnet import ResNet
from alphapose_ros.core.models.stn import SymmetricSTN


class FastPose(nn.Module):
    def __init__(self, num_joints: int, num_layers: int = 50, conv_dim: int = 128,
                 stage_with_dcn: tuple[bool, bool, bool, bool] = (False, False, False, False),
                 check_op: bool = True, width: int = 64, stn: bool = False):
        super().__init__()
        self.stn = SymmetricSTN() if stn else None  # RMPE's SSTN + SDTN (core.models.stn), optional
        self.preact = ResNet(num_layers, se=True, stage_with_dcn=stage_with_dcn, check_op=check_op, width=width)
        self.suffle1 = nn.PixelShuffle(2)  # AlphaPose's spelling; no parameters
        self.duc1 = DUC(8 * width, 16 * width, 2)  # 512 -> 1024 at the standard width 64
        self.duc2 = DUC(4 * width, conv_dim * 4, 2)
        self.conv_out = nn.Conv2d(conv_dim, num_joints, 3, padding=1)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """Keypoint maps from the backbone's features (the re-ID branch shares those)."""
        return self.conv_out(self.duc2(self.duc1(self.suffle1(features))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stn is None:
            return self.head(self.preact(x))
        theta = self.stn.theta(x)
        return self.stn.sdtn(self.head(self.preact(self.stn.sstn(x, theta))), theta)
