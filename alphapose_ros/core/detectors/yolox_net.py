"""The YOLOX network (Ge et al. 2021): CSPDarknet backbone, PAFPN neck, decoupled head.

Written from the YOLOX paper's description; module and parameter names follow the
official release checkpoints' key layout (backbone.backbone.stem..., backbone.C3_p4...,
head.stems.N...) so those files load strictly. Variants differ only in depth/width
multipliers and depthwise convolutions (nano).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

BN_EPS = 1e-3  # YOLOX trains and ships its BatchNorms with eps 1e-3


@dataclass(frozen=True)
class YoloxVariant:
    depth: float
    width: float
    depthwise: bool = False


VARIANTS: dict[str, YoloxVariant] = {
    "yolox-nano": YoloxVariant(0.33, 0.25, True),
    "yolox-tiny": YoloxVariant(0.33, 0.375),
    "yolox-s": YoloxVariant(0.33, 0.50),
    "yolox-m": YoloxVariant(0.67, 0.75),
    "yolox-l": YoloxVariant(1.0, 1.0),
    "yolox-x": YoloxVariant(1.33, 1.25),
}


class ConvBnAct(nn.Module):
    """Conv (no bias, 'same' padding) -> BatchNorm -> SiLU."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class DepthwiseConv(nn.Module):
    """Depthwise k x k then pointwise 1 x 1 (nano's replacement for a full conv)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1):
        super().__init__()
        self.dconv = ConvBnAct(cin, cin, k, stride, groups=cin)
        self.pconv = ConvBnAct(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pconv(self.dconv(x))


def conv3(cin: int, cout: int, stride: int, depthwise: bool) -> nn.Module:
    return DepthwiseConv(cin, cout, 3, stride) if depthwise else ConvBnAct(cin, cout, 3, stride)


class Bottleneck(nn.Module):
    def __init__(self, c: int, shortcut: bool, depthwise: bool):
        super().__init__()
        self.conv1 = ConvBnAct(c, c, 1)
        self.conv2 = conv3(c, c, 1, depthwise)
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.conv1(x))
        return x + y if self.shortcut else y


class CSPLayer(nn.Module):
    """Cross-stage partial block: half the channels through n bottlenecks, half bypass."""

    def __init__(self, cin: int, cout: int, n: int, shortcut: bool = True, depthwise: bool = False):
        super().__init__()
        hidden = cout // 2
        self.conv1 = ConvBnAct(cin, hidden, 1)
        self.conv2 = ConvBnAct(cin, hidden, 1)
        self.conv3 = ConvBnAct(2 * hidden, cout, 1)
        self.m = nn.Sequential(*[Bottleneck(hidden, shortcut, depthwise) for _ in range(n)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(torch.cat([self.m(self.conv1(x)), self.conv2(x)], 1))


class SPP(nn.Module):
    """Spatial pyramid pooling: max-pools 5/9/13 (stride 1) concatenated with the input."""

    def __init__(self, cin: int, cout: int, kernels: tuple[int, ...] = (5, 9, 13)):
        super().__init__()
        hidden = cin // 2
        self.conv1 = ConvBnAct(cin, hidden, 1)
        self.m = nn.ModuleList([nn.MaxPool2d(k, 1, k // 2) for k in kernels])
        self.conv2 = ConvBnAct(hidden * (len(kernels) + 1), cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(torch.cat([x] + [m(x) for m in self.m], 1))


class Focus(nn.Module):
    """Space-to-depth (2x2 pixel phases stacked as channels), then a conv."""

    def __init__(self, cin: int, cout: int, k: int = 3):
        super().__init__()
        self.conv = ConvBnAct(cin * 4, cout, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # phase order: (even row, even col), (odd row, even col), (even row, odd col), (odd row, odd col)
        return self.conv(torch.cat([x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]], 1))


class CSPDarknet(nn.Module):
    def __init__(self, v: YoloxVariant):
        super().__init__()
        c = int(v.width * 64)
        n = max(round(v.depth * 3), 1)
        dw = v.depthwise
        self.stem = Focus(3, c, 3)
        self.dark2 = nn.Sequential(conv3(c, c * 2, 2, dw), CSPLayer(c * 2, c * 2, n, depthwise=dw))
        self.dark3 = nn.Sequential(conv3(c * 2, c * 4, 2, dw), CSPLayer(c * 4, c * 4, n * 3, depthwise=dw))
        self.dark4 = nn.Sequential(conv3(c * 4, c * 8, 2, dw), CSPLayer(c * 8, c * 8, n * 3, depthwise=dw))
        self.dark5 = nn.Sequential(conv3(c * 8, c * 16, 2, dw), SPP(c * 16, c * 16),
                                   CSPLayer(c * 16, c * 16, n, shortcut=False, depthwise=dw))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x3 = self.dark3(self.dark2(self.stem(x)))
        x4 = self.dark4(x3)
        return x3, x4, self.dark5(x4)


class PAFPN(nn.Module):
    """Top-down then bottom-up feature pyramid over strides 8/16/32."""

    def __init__(self, v: YoloxVariant):
        super().__init__()
        c3, c4, c5 = (int(ch * v.width) for ch in (256, 512, 1024))
        n = round(3 * v.depth)
        dw = v.depthwise
        self.backbone = CSPDarknet(v)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.lateral_conv0 = ConvBnAct(c5, c4, 1)
        self.C3_p4 = CSPLayer(2 * c4, c4, n, False, dw)
        self.reduce_conv1 = ConvBnAct(c4, c3, 1)
        self.C3_p3 = CSPLayer(2 * c3, c3, n, False, dw)
        self.bu_conv2 = conv3(c3, c3, 2, dw)
        self.C3_n3 = CSPLayer(2 * c3, c4, n, False, dw)
        self.bu_conv1 = conv3(c4, c4, 2, dw)
        self.C3_n4 = CSPLayer(2 * c4, c5, n, False, dw)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x3, x4, x5 = self.backbone(x)
        top5 = self.lateral_conv0(x5)
        p4 = self.C3_p4(torch.cat([self.upsample(top5), x4], 1))
        top4 = self.reduce_conv1(p4)
        out3 = self.C3_p3(torch.cat([self.upsample(top4), x3], 1))
        out4 = self.C3_n3(torch.cat([self.bu_conv2(out3), top4], 1))
        out5 = self.C3_n4(torch.cat([self.bu_conv1(out4), top5], 1))
        return out3, out4, out5


class DecoupledHead(nn.Module):
    """Per level: 1x1 stem, then separate classification and regression towers.

    Output per level (B, 4+1+C, H, W): raw box offsets/log-sizes, objectness
    probability, class probabilities.
    """

    def __init__(self, v: YoloxVariant, num_classes: int = 80):
        super().__init__()
        hid = int(256 * v.width)
        ins = [int(ch * v.width) for ch in (256, 512, 1024)]
        dw = v.depthwise
        self.stems = nn.ModuleList([ConvBnAct(c, hid, 1) for c in ins])
        self.cls_convs = nn.ModuleList([nn.Sequential(conv3(hid, hid, 1, dw), conv3(hid, hid, 1, dw)) for _ in ins])
        self.reg_convs = nn.ModuleList([nn.Sequential(conv3(hid, hid, 1, dw), conv3(hid, hid, 1, dw)) for _ in ins])
        self.cls_preds = nn.ModuleList([nn.Conv2d(hid, num_classes, 1) for _ in ins])
        self.reg_preds = nn.ModuleList([nn.Conv2d(hid, 4, 1) for _ in ins])
        self.obj_preds = nn.ModuleList([nn.Conv2d(hid, 1, 1) for _ in ins])

    def forward(self, feats: tuple[torch.Tensor, ...]) -> list[torch.Tensor]:
        outs = []
        for k, f in enumerate(feats):
            x = self.stems[k](f)
            reg = self.reg_convs[k](x)
            outs.append(torch.cat([self.reg_preds[k](reg), self.obj_preds[k](reg).sigmoid(),
                                   self.cls_preds[k](self.cls_convs[k](x)).sigmoid()], 1))
        return outs


class YoloxNet(nn.Module):
    """Image batch (B,3,H,W), raw 0-255 BGR -> per-level head outputs (strides 8, 16, 32)."""

    strides = (8, 16, 32)

    def __init__(self, variant: str | YoloxVariant, num_classes: int = 80):
        super().__init__()
        v = VARIANTS[variant] if isinstance(variant, str) else variant
        self.backbone = PAFPN(v)
        self.head = DecoupledHead(v, num_classes)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.head(self.backbone(x))
