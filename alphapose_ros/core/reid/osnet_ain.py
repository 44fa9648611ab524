"""OSNet-AIN x1.0, the re-ID network AlphaPose's tracker runs on the pose crops.

Written from the OSNet papers (Zhou et al., "Omni-Scale Feature Learning for Person
Re-Identification", ICCV 2019, and "Learning Generalisable Omni-Scale Representations for
Person Re-Identification", TPAMI 2021): a 7x7 stem, three stages of two omni-scale
residual blocks (channels 256/384/512) joined by 1x1 conv + 2x2 average-pool transitions,
a 1x1 conv, global average pooling and a 512-d FC + BN + ReLU embedding. Each block
reduces to a quarter of its width, runs four streams of 1..4 "lite" 3x3 layers (pointwise
conv, depthwise 3x3, BN, ReLU), weighs each stream by one shared channel gate, sums them and
expands back with a linear 1x1 conv. AIN adds instance normalisation: in the stem, and on
the output of the blocks marked below (instead of the expanding conv's BN).
Module names follow the released weights' parameter names, so those files load as they are.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from alphapose_ros.core.pose.checkpoints import load_state_dict_strict, read_state_dict

CHANNELS = (64, 256, 384, 512)
# per stage, whether each of its two blocks ends in instance normalisation (the searched AIN layout)
BLOCK_IN = ((True, True), (False, True), (True, False))
EMBEDDING_DIM = 512


class ConvNorm(nn.Module):
    """conv -> BN (or affine instance norm, or none) -> optional ReLU."""

    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, norm: str | None = "bn", relu: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
        if norm == "bn":
            self.bn = nn.BatchNorm2d(cout)
        elif norm == "in":
            self.bn = nn.InstanceNorm2d(cout, affine=True)
        else:
            self.bn = None
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return torch.relu(x) if self.relu else x


class LiteConv3x3(nn.Module):
    """Pointwise conv, depthwise 3x3 conv, BN, ReLU: a cheap 3x3 layer."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False, groups=cout)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv2(self.conv1(x))))


class LiteStream(nn.Module):
    """`depth` lite 3x3 layers in a row: receptive field grows with the depth (one scale)."""

    def __init__(self, channels: int, depth: int):
        super().__init__()
        self.layers = nn.Sequential(*[LiteConv3x3(channels, channels) for _ in range(depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class AggregationGate(nn.Module):
    """Channel weights from globally pooled features (shared by all streams of a block)."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean((2, 3), keepdim=True)))))
        return x * w


class OmniScaleBlock(nn.Module):
    """Residual block with four scales (streams of 1..4 lite layers) fused by the gate."""

    def __init__(self, cin: int, cout: int, instance_norm: bool, streams: int = 4, reduction: int = 4):
        super().__init__()
        mid = cout // reduction
        self.conv1 = ConvNorm(cin, mid)
        self.conv2 = nn.ModuleList([LiteStream(mid, t) for t in range(1, streams + 1)])
        self.gate = AggregationGate(mid)
        self.conv3 = ConvNorm(mid, cout, norm=None if instance_norm else "bn", relu=False)
        self.downsample = ConvNorm(cin, cout, relu=False) if cin != cout else None
        self.IN = nn.InstanceNorm2d(cout, affine=True) if instance_norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x)
        fused = sum(self.gate(stream(h)) for stream in self.conv2)
        out = self.conv3(fused)
        if self.IN is not None:
            out = self.IN(out)
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


def _transition(c: int) -> nn.Sequential:
    return nn.Sequential(ConvNorm(c, c), nn.AvgPool2d(2, stride=2))


class OSNetAIN(nn.Module):
    """OSNet-AIN (x1.0 by default; `width` scales every stage, as OSNet's x0.75/x0.5/x0.25 do).
    forward(x) -> (N, embed_dim) embedding (eval), or (N, num_classes) identity logits in training
    mode when a classifier is attached (num_classes > 0)."""

    def __init__(self, num_classes: int = 0, width: float = 1.0, embed_dim: int = EMBEDDING_DIM):
        super().__init__()
        c = tuple(max(16, int(round(ch * width))) for ch in CHANNELS)
        self.embed_dim = embed_dim
        self.conv1 = ConvNorm(3, c[0], 7, stride=2, norm="in")
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Sequential(*self._stage(c[0], c[1], BLOCK_IN[0]))
        self.pool2 = _transition(c[1])
        self.conv3 = nn.Sequential(*self._stage(c[1], c[2], BLOCK_IN[1]))
        self.pool3 = _transition(c[2])
        self.conv4 = nn.Sequential(*self._stage(c[2], c[3], BLOCK_IN[2]))
        self.conv5 = ConvNorm(c[3], c[3])
        self.fc = nn.Sequential(nn.Linear(c[3], embed_dim), nn.BatchNorm1d(embed_dim), nn.ReLU())
        self.classifier = nn.Linear(embed_dim, num_classes) if num_classes > 0 else None

    @staticmethod
    def _stage(cin: int, cout: int, instance_norm: tuple[bool, bool]) -> list[nn.Module]:
        return [OmniScaleBlock(cin, cout, instance_norm[0]), OmniScaleBlock(cout, cout, instance_norm[1])]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv4(self.pool3(self.conv3(self.pool2(self.conv2(x)))))
        v = self.fc(self.conv5(x).mean((2, 3)))
        if self.training and self.classifier is not None:
            return self.classifier(v)
        return v


MANIFEST_NAME = "osnet_ain_x1_0_msmt17"  # its entry in models/manifest.yaml (file name, links)


def load_osnet_ain(path: str | Path, state: dict | None = None) -> "OSNetAIN":
    """OSNet-AIN with the weights of `path` (tensor-only load, strict, classifier dropped): x1.0 for the
    released file, or the width and embedding size an alphapose-train run gave it (read from the shapes)."""
    state = read_state_dict(path) if state is None else state
    state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    stem, fc = state.get("conv1.conv.weight"), state.get("fc.0.weight")
    width = 1.0 if stem is None else stem.shape[0] / CHANNELS[0]
    model = OSNetAIN(width=width, embed_dim=EMBEDDING_DIM if fc is None else fc.shape[0])
    load_state_dict_strict(model, state, source=str(path),
                           advice="expected the OSNet-AIN x1.0 re-ID weights AlphaPose's tracker uses "
                                  f"(alphapose-download --list: {MANIFEST_NAME})")
    return model.eval()
