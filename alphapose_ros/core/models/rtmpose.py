"""RTMPose's network (Jiang et al., "RTMPose: Real-Time Multi-Person Pose Estimation based on MMPose",
2023), written from the paper: a CSPNeXt backbone and the RTMCC head (a 7x7 convolution to one
feature per keypoint, a gated attention unit across keypoints, and two linear SimCC classifiers).

Here to measure what the released models cost on a robot's CPU (exported with random weights) and
to make files with the released inputs/outputs for tests; the released weights run from their own
ONNX files (core.rtm). RTMW-m/l/x are built as RTMPose-m/l/x with 133 keypoints (RTMW's extra neck is
left out: these time the backbone and head) and DWPose-l as RTMPose-l at 384x288 with 133 keypoints."""
from __future__ import annotations

import math

import torch
from torch import nn

# name -> (deepen, widen, keypoints, input (h, w)); the CSPNeXt P5 stages are scaled by these
VARIANTS = {
    "rtmpose-t": (0.167, 0.375, 17, (256, 192)),
    "rtmpose-s": (0.33, 0.5, 17, (256, 192)),
    "rtmpose-m": (0.67, 0.75, 17, (256, 192)),
    "rtmpose-l": (1.0, 1.0, 17, (256, 192)),
    "rtmpose-x": (1.33, 1.25, 17, (384, 288)),
    "rtmw-m": (0.67, 0.75, 133, (256, 192)),
    "rtmw-l": (1.0, 1.0, 133, (256, 192)),
    "rtmw-x": (1.33, 1.25, 133, (384, 288)),
    "dwpose-l": (1.0, 1.0, 133, (384, 288)),
}
STAGES = ((64, 128, 3, True, False), (128, 256, 6, True, False), (256, 512, 6, True, False),
          (512, 1024, 3, False, True))  # in, out, blocks, residual, SPPF


def conv(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Convolution, batch norm, SiLU: CSPNeXt's unit."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.SiLU())


class CSPNeXtBlock(nn.Module):
    """3x3 convolution then a 5x5 depthwise-separable one, with a residual when asked."""

    def __init__(self, c: int, residual: bool):
        super().__init__()
        self.body = nn.Sequential(conv(c, c, 3), conv(c, c, 5, groups=c), conv(c, c, 1))
        self.residual = residual

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class CSPLayer(nn.Module):
    """Cross-stage partial layer: half the channels through the blocks, half around them, joined,
    reweighted by channel attention (global pool -> 1x1 -> hard sigmoid)."""

    def __init__(self, cin: int, cout: int, blocks: int, residual: bool):
        super().__init__()
        mid = cout // 2
        self.main, self.short = conv(cin, mid), conv(cin, mid)
        self.blocks = nn.Sequential(*[CSPNeXtBlock(mid, residual) for _ in range(blocks)])
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(2 * mid, 2 * mid, 1), nn.Hardsigmoid())
        self.final = conv(2 * mid, cout)

    def forward(self, x):
        y = torch.cat([self.blocks(self.main(x)), self.short(x)], 1)
        return self.final(y * self.attention(y))


class SPPF(nn.Module):
    """Spatial pyramid pooling (5, 9, 13) on half the channels."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.reduce, self.pools = conv(cin, cin // 2), nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in (5, 9, 13))
        self.expand = conv(cin // 2 * 4, cout)

    def forward(self, x):
        x = self.reduce(x)
        return self.expand(torch.cat([x] + [p(x) for p in self.pools], 1))


class CSPNeXt(nn.Module):
    """Stem (three 3x3 convolutions, stride 2) and four stride-2 stages; the last stage's map out (1/32)."""

    def __init__(self, deepen: float, widen: float):
        super().__init__()
        w = lambda c: int(c * widen)  # noqa: E731
        self.stem = nn.Sequential(conv(3, w(32), 3, 2), conv(w(32), w(32), 3), conv(w(32), w(64), 3))
        stages = []
        for cin, cout, n, residual, spp in STAGES:
            layers = [conv(w(cin), w(cout), 3, 2)] + ([SPPF(w(cout), w(cout))] if spp else [])
            stages.append(nn.Sequential(*layers, CSPLayer(w(cout), w(cout), max(round(n * deepen), 1), residual)))
        self.stages = nn.Sequential(*stages)
        self.out_channels = w(STAGES[-1][1])

    def forward(self, x):
        return self.stages(self.stem(x))


class ScaleNorm(nn.Module):
    """x / ||x|| * g * sqrt(d): RTMCC's normalisation."""

    def __init__(self, dim: int):
        super().__init__()
        self.scale, self.g = dim ** 0.5, nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x / x.norm(dim=-1, keepdim=True).clamp(min=1e-5) * self.scale * self.g


class GatedAttentionUnit(nn.Module):
    """One GAU layer across keypoints: u, v and a shared low-dimensional base from one projection;
    attention = relu(q k^T / sqrt(s))^2; out = u * (attention v), projected back, plus the input."""

    def __init__(self, dim: int, expansion: int = 2, s: int = 128):
        super().__init__()
        self.e, self.s = dim * expansion, s
        self.norm = ScaleNorm(dim)
        self.uv = nn.Linear(dim, 2 * self.e + s, bias=False)
        self.gamma, self.beta = nn.Parameter(torch.randn(2, s) * 0.02 + 1), nn.Parameter(torch.zeros(2, s))
        self.out = nn.Linear(self.e, dim, bias=False)

    def forward(self, x):
        u, v, base = torch.split(nn.functional.silu(self.uv(self.norm(x))), [self.e, self.e, self.s], -1)
        q, k = (base[..., None, :] * self.gamma + self.beta).unbind(-2)
        attention = torch.relu(q @ k.transpose(-1, -2) / math.sqrt(self.s)).square()
        return x + self.out(u * (attention @ v))


class RTMCCHead(nn.Module):
    """Last feature map -> per-keypoint vectors (7x7 conv, flatten) -> MLP -> GAU -> SimCC x / y bins."""

    def __init__(self, cin: int, keypoints: int, input_hw: tuple[int, int], split_ratio: float = 2.0,
                 hidden: int = 256):
        super().__init__()
        fh, fw = input_hw[0] // 32, input_hw[1] // 32
        self.final = nn.Conv2d(cin, keypoints, 7, 1, 3)
        self.mlp = nn.Sequential(ScaleNorm(fh * fw), nn.Linear(fh * fw, hidden, bias=False))
        self.gau = GatedAttentionUnit(hidden)
        self.cls_x = nn.Linear(hidden, int(input_hw[1] * split_ratio), bias=False)
        self.cls_y = nn.Linear(hidden, int(input_hw[0] * split_ratio), bias=False)

    def forward(self, feature):
        x = self.gau(self.mlp(self.final(feature).flatten(2)))
        return self.cls_x(x), self.cls_y(x)


class RTMPoseNet(nn.Module):
    """CSPNeXt + RTMCC head: crops (B,3,H,W) -> simcc_x (B,K,W*r), simcc_y (B,K,H*r)."""

    def __init__(self, deepen: float = 0.67, widen: float = 0.75, keypoints: int = 17,
                 input_hw: tuple[int, int] = (256, 192), split_ratio: float = 2.0):
        super().__init__()
        self.input_hw = input_hw
        self.backbone = CSPNeXt(deepen, widen)
        self.head = RTMCCHead(self.backbone.out_channels, keypoints, input_hw, split_ratio)

    def forward(self, x):
        return self.head(self.backbone(x))


def build_variant(name: str) -> RTMPoseNet:
    """The network of a released variant (random weights)."""
    if name not in VARIANTS:
        raise ValueError(f"unknown RTMPose variant {name!r} (one of {', '.join(VARIANTS)})")
    deepen, widen, k, hw = VARIANTS[name]
    return RTMPoseNet(deepen, widen, k, hw)


def export_released_layout(model: nn.Module, path, input_hw: tuple[int, int], dynamic_batch: bool = True,
                           names: tuple[str, ...] = ("simcc_x", "simcc_y"), opset: int = 17):
    """`model` as ONNX with the released files' names: input `input` (B,3,H,W) and outputs `names`."""
    x = torch.zeros(1, 3, *input_hw)
    axes = {n: {0: "batch"} for n in ("input", *names)} if dynamic_batch else None
    with torch.no_grad():
        torch.onnx.export(model.eval(), (x,), str(path), input_names=["input"], output_names=list(names),
                          opset_version=opset, dynamic_axes=axes, dynamo=False)
    return path
