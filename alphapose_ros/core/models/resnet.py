"""ResNet backbones (optionally with SE and deformable conv), named as AlphaPose's `preact`.

Bottleneck v1.5 (stride on the 3x3 conv). SE, when enabled, sits only in the first
block of each stage and scales the bn3 output before the residual sum. With DCN, the
3x3 conv of every block in the chosen stages is deformable and gets a 3x3 offset conv
(`conv2_offset`, 18 channels) at the block's stride. The "shuffle" variant replaces
each strided 3x3 conv by PixelUnshuffle(2) followed by a 3x3 conv.
"""
from __future__ import annotations

import torch
from torch import nn

from alphapose_ros.core.models.layers import DeformConv3x3, SqueezeExcite

BLOCKS = {18: None, 50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 se: bool = False, dcn: bool = False, check_op: bool = True, unshuffle: bool = False):
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.dcn = dcn
        if dcn:
            self.conv2_offset = nn.Conv2d(planes, 18, 3, stride=stride, padding=1)
            nn.init.zeros_(self.conv2_offset.weight)
            nn.init.zeros_(self.conv2_offset.bias)
            self.conv2 = DeformConv3x3(planes, planes, stride=stride, check_op=check_op)
        elif unshuffle and stride == 2:  # space-to-depth instead of a strided conv
            self.conv2 = nn.Sequential(nn.PixelUnshuffle(2), nn.Conv2d(planes * 4, planes, 3, padding=1, bias=False))
        else:
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.se = SqueezeExcite(out) if se else None
        self.downsample = downsample
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        if self.dcn:
            y = self.conv2(y, self.conv2_offset(y))
        else:
            y = self.conv2(y)
        y = self.relu(self.bn2(y))
        y = self.bn3(self.conv3(y))
        if self.se is not None:
            y = self.se(y)
        residual = x if self.downsample is None else self.downsample(x)
        return self.relu(y + residual)


class ResNet(nn.Module):
    """ResNet-50/101/152 feature extractor: (N,3,H,W) -> (N,32*width,H/32,W/32); width 64 is
    the standard network (2048 channels out), smaller widths make small models."""

    def __init__(self, num_layers: int = 50, se: bool = True,
                 stage_with_dcn: tuple[bool, bool, bool, bool] = (False, False, False, False),
                 check_op: bool = True, unshuffle: bool = False, width: int = 64):
        super().__init__()
        if BLOCKS.get(num_layers) is None:
            raise ValueError(f"unsupported ResNet depth {num_layers}; use 50, 101 or 152")
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = width
        for i, (n, planes) in enumerate(zip(BLOCKS[num_layers], (width, 2 * width, 4 * width, 8 * width))):
            stride = 1 if i == 0 else 2
            layers = []
            for j in range(n):
                down = None
                if j == 0:
                    down = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride=stride, bias=False),
                                         nn.BatchNorm2d(planes * 4))
                layers.append(Bottleneck(inplanes, planes, stride if j == 0 else 1, down,
                                         se=se and j == 0, dcn=stage_with_dcn[i], check_op=check_op,
                                         unshuffle=unshuffle))
                inplanes = planes * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))
