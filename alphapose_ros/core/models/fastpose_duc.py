"""FastPose_DUC: an SE-ResNet (or its pixel-unshuffle variant) with three DUC stages.

Each stage is PixelShuffle(2) then NUM_CONV 3x3 conv+BN+ReLU layers; all but the last
keep the channel count, the last doubles it. A 3x3 conv then gives one map per joint.
"""
from __future__ import annotations

import torch
from torch import nn

from alphapose_ros.core.models.resnet import ResNet


def _duc_stage(channels: int, num_conv: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.PixelShuffle(2)]
    for i in range(num_conv):
        out = channels * 2 if i == num_conv - 1 else channels
        layers += [nn.Conv2d(channels, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class FastPoseDUC(nn.Module):
    def __init__(self, num_joints: int, num_layers: int = 50, backbone: str = "se-resnet",
                 stage_convs: tuple[int, int, int] = (4, 2, 1)):
        super().__init__()
        if backbone not in ("se-resnet", "shuffle"):
            raise ValueError(f"unknown FastPose_DUC backbone {backbone!r} (se-resnet or shuffle)")
        self.preact = ResNet(num_layers, se=True, unshuffle=backbone == "shuffle")
        self.duc1 = _duc_stage(512, stage_convs[0])
        self.duc2 = _duc_stage(256, stage_convs[1])
        self.duc3 = _duc_stage(128, stage_convs[2])
        self.conv_out = nn.Conv2d(256, num_joints, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.duc3(self.duc2(self.duc1(self.preact(x)))))
