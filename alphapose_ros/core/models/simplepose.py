"""SimplePose ("Simple Baselines"): plain ResNet + three stride-2 deconvolutions + 1x1 head."""
from __future__ import annotations

import torch
from torch import nn

from alphapose_ros.core.models.resnet import ResNet


class SimplePose(nn.Module):
    def __init__(self, num_joints: int, num_layers: int = 50, deconv_filters: tuple[int, ...] = (256, 256, 256)):
        super().__init__()
        self.preact = ResNet(num_layers, se=False)
        layers: list[nn.Module] = []
        cin = 2048
        for f in deconv_filters:
            layers += [nn.ConvTranspose2d(cin, f, 4, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(f), nn.ReLU(inplace=True)]
            cin = f
        self.deconv_layers = nn.Sequential(*layers)
        self.final_layer = nn.Conv2d(cin, num_joints, 1)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """Keypoint maps from the backbone's features (the re-ID branch shares those)."""
        return self.final_layer(self.deconv_layers(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.preact(x))
