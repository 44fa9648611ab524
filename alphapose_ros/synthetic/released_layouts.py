"""ONNX files with the inputs and outputs of the RTMPose family's released files, with random weights:
what the tests check the backends against (rtmlib runs the same files) and what the benchmarks time."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from alphapose_ros.core.models.rtmpose import RTMPoseNet, export_released_layout


def simcc_file(path: str | Path, keypoints: int = 17, input_hw: tuple[int, int] = (256, 192),
               dynamic_batch: bool = True, widen: float = 0.125, deepen: float = 0.167, seed: int = 0) -> Path:
    """A (small, by default) RTMPose network as released: input `input`, outputs simcc_x / simcc_y."""
    torch.manual_seed(seed)
    net = RTMPoseNet(deepen, widen, keypoints, input_hw)
    return Path(export_released_layout(net, path, input_hw, dynamic_batch))


class ToyEnd2EndDetector(nn.Module):
    """dets (1,N,5) and labels (1,N) that depend on the input (boxes shift with its mean, scores from its
    channel means), spread over the image and over scores from ~0.05 to ~0.95."""

    def __init__(self, input_hw: tuple[int, int], boxes: int = 12, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        hw = torch.tensor([input_hw[1], input_hw[0]], dtype=torch.float32)
        centre = (0.1 + 0.8 * torch.rand(boxes, 2, generator=g)) * hw
        size = (0.05 + 0.3 * torch.rand(boxes, 2, generator=g)) * hw
        self.register_buffer("boxes", torch.cat([centre - size / 2, centre + size / 2], 1))
        self.register_buffer("bias", torch.linspace(-3, 3, boxes))
        self.register_buffer("weight", torch.randn(3, boxes, generator=g) * 0.5)
        self.register_buffer("labels", (torch.arange(boxes) % 5 == 4).long())  # every fifth is not a person

    def forward(self, x):
        pooled = x.mean((2, 3))
        scores = torch.sigmoid(self.bias + torch.tanh(pooled / 50) @ self.weight)
        shifted = self.boxes[None] + pooled.mean(1)[:, None, None] * 0.05
        return torch.cat([shifted, scores[..., None]], -1), self.labels[None].expand(x.shape[0], -1)


class ToyRTMO(ToyEnd2EndDetector):
    """dets (1,N,5) and keypoints (1,N,K,3): each person's keypoints spread inside its box."""

    def __init__(self, input_hw: tuple[int, int], keypoints: int = 17, boxes: int = 12, seed: int = 0):
        super().__init__(input_hw, boxes, seed)
        g = torch.Generator().manual_seed(seed + 1)
        self.register_buffer("where", torch.rand(1, boxes, keypoints, 2, generator=g))
        self.register_buffer("kp_bias", torch.randn(1, boxes, keypoints, generator=g))

    def forward(self, x):
        dets, _ = super().forward(x)
        lo, hi = dets[..., None, :2], dets[..., None, 2:4]
        xy = lo + (hi - lo) * self.where
        score = torch.sigmoid(self.kp_bias + x.mean() / 100)
        return dets, torch.cat([xy, score.expand(x.shape[0], -1, -1)[..., None]], -1)


def detector_file(path: str | Path, input_hw: tuple[int, int] = (640, 640)) -> Path:
    """An end-to-end detector as RTMPose's YOLOX / RTMDet files are laid out (input `input`)."""
    return Path(export_released_layout(ToyEnd2EndDetector(input_hw), path, input_hw, False, ("dets", "labels")))


def rtmo_file(path: str | Path, input_hw: tuple[int, int] = (640, 640), keypoints: int = 17) -> Path:
    """A one-stage model as RTMO's files are laid out (input `input`, outputs dets and keypoints)."""
    return Path(export_released_layout(ToyRTMO(input_hw, keypoints), path, input_hw, False, ("dets", "keypoints")))
