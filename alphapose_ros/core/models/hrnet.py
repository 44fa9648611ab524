"""HRNet (Sun et al., CVPR 2019) pose network, W32 as configured by AlphaPose.

Parallel branches at 1/4, 1/8, 1/16, 1/32 resolution exchange information after every
module (upsample by 1x1 conv + nearest, downsample by strided 3x3 convs); the highest
resolution branch feeds a 1x1 output conv. Parameter names follow AlphaPose's layout.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from alphapose_ros.core.models.resnet import Bottleneck


def _conv_bn(cin: int, cout: int, k: int, stride: int = 1, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + x)


class HRModule(nn.Module):
    """Branches of basic blocks, then fusion of every branch into every output branch."""

    def __init__(self, channels: Sequence[int], blocks: Sequence[int], multi_scale_output: bool = True):
        super().__init__()
        n = len(channels)
        self.branches = nn.ModuleList(nn.Sequential(*[BasicBlock(c) for _ in range(b)])
                                      for c, b in zip(channels, blocks))
        fuse = []
        for i in range(n if multi_scale_output else 1):
            row: list[nn.Module | None] = []
            for j in range(n):
                if j > i:  # lower resolution -> match channels, upsample
                    row.append(nn.Sequential(nn.Conv2d(channels[j], channels[i], 1, bias=False),
                                             nn.BatchNorm2d(channels[i]),
                                             nn.Upsample(scale_factor=2 ** (j - i), mode="nearest")))
                elif j == i:
                    row.append(None)
                else:  # higher resolution -> strided 3x3 convs, channels change on the last one
                    steps = [_conv_bn(channels[j], channels[i] if s == i - j - 1 else channels[j], 3, 2,
                                      relu=s != i - j - 1) for s in range(i - j)]
                    row.append(nn.Sequential(*steps))
            fuse.append(nn.ModuleList(row))
        self.fuse_layers = nn.ModuleList(fuse)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        xs = [b(x) for b, x in zip(self.branches, xs)]
        out = []
        for row in self.fuse_layers:
            y = None
            for j, f in enumerate(row):
                t = xs[j] if f is None else f(xs[j])
                y = t if y is None else y + t
            out.append(self.relu(y))
        return out


class HRNet(nn.Module):
    def __init__(self, num_joints: int, stages: Sequence[dict], final_kernel: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 64, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        down = nn.Sequential(nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256))
        self.layer1 = nn.Sequential(Bottleneck(64, 64, 1, down), *[Bottleneck(256, 64) for _ in range(3)])
        prev = [256]
        for s, st in enumerate(stages, start=2):
            ch = list(st["NUM_CHANNELS"])
            setattr(self, f"transition{s - 1}", self._transition(prev, ch))
            last = s == len(stages) + 1
            mods = [HRModule(ch, st["NUM_BLOCKS"], multi_scale_output=not (last and m == st["NUM_MODULES"] - 1))
                    for m in range(st["NUM_MODULES"])]
            setattr(self, f"stage{s}", nn.ModuleList(mods))
            prev = ch
        self.num_stages = len(stages)
        self.final_layer = nn.Conv2d(prev[0], num_joints, final_kernel, padding=final_kernel // 2)

    @staticmethod
    def _transition(prev: list[int], cur: list[int]) -> nn.ModuleList:
        layers: list[nn.Module | None] = []
        for i, c in enumerate(cur):
            if i < len(prev):
                layers.append(None if prev[i] == c else _conv_bn(prev[i], c, 3))
            else:
                steps = [_conv_bn(prev[-1], c if k == i - len(prev) else prev[-1], 3, 2)
                         for k in range(i + 1 - len(prev))]
                layers.append(nn.Sequential(*steps))
        return nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))))
        ys = [self.layer1(x)]
        for s in range(2, self.num_stages + 2):
            trans = getattr(self, f"transition{s - 1}")
            xs = []
            for i, t in enumerate(trans):  # new (lower-resolution) branches start from the last one
                src = ys[i] if i < len(ys) else ys[-1]
                xs.append(src if t is None else t(src))
            for m in getattr(self, f"stage{s}"):
                xs = m(xs)
            ys = xs
        return self.final_layer(ys[0])
