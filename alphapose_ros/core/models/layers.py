"""Building blocks shared by the pose networks: SE, DUC, deformable 3x3 conv."""
from __future__ import annotations

import torch
from torch import nn


class SqueezeExcite(nn.Module):
    """Channel attention: global average pool -> Linear -> ReLU -> Linear -> sigmoid -> scale.

    FastPose uses a reduction ratio of 1 (both linears C x C).
    """

    def __init__(self, channels: int, reduction: int = 1):
        super().__init__()
        hidden = channels // reduction
        self.fc = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(inplace=True),
                                nn.Linear(hidden, channels), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.fc(x.mean(dim=(2, 3)))
        return x * w[:, :, None, None]


class DUC(nn.Module):
    """Dense up-sampling convolution: 3x3 conv -> BN -> ReLU -> PixelShuffle(factor)."""

    def __init__(self, in_channels: int, out_channels: int, factor: int = 2):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.pixel_shuffle = nn.PixelShuffle(factor)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pixel_shuffle(self.relu(self.bn(self.conv(x))))


class DeformConv3x3(nn.Module):
    """Non-modulated deformable 3x3 conv (no bias); offsets come from the caller.

    Runs on torchvision's deform_conv2d. Without torchvision the model cannot run,
    so construction fails with a message that says what to install.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, groups: int = 1,
                 check_op: bool = True):
        super().__init__()
        if check_op:
            require_deform_conv()
        self.stride = stride
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, 3, 3))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)

    def forward(self, x: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
        from torchvision.ops import deform_conv2d

        return deform_conv2d(x, offset, self.weight, None, stride=self.stride, padding=1)


def require_deform_conv() -> None:
    """Raise a RuntimeError that says what to install when deform_conv2d is unavailable."""
    try:
        from torchvision.ops import deform_conv2d  # noqa: F401
    except Exception as e:  # ImportError, or a torchvision that does not match torch
        raise RuntimeError(
                "this checkpoint's config uses deformable convolution (MODEL.DCN, the '-dcn' models); "
                "it needs torchvision's deform_conv2d, which is not importable here "
                f"({type(e).__name__}: {e}). Install a torchvision built for this torch "
                "(e.g. torch==2.14.1 with torchvision==0.29.1) or pick a non-DCN model.") from e
