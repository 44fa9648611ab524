"""Re-ID embeddings of people from their pose crops, for the tracker's first stage.

As AlphaPose's tracker does, OSNet-AIN runs on the pose network's own input crops (the
256x192 AlphaPose-normalised tensors), so no second crop is cut. The released weights
file (trained on MSMT17) loads strictly; its identity classifier is dropped, since only
the 512-d embedding is used. Embeddings are L2-normalised.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from alphapose_ros.core.estimator import prepare_model
from alphapose_ros.core.reid.osnet_ain import load_osnet_ain


class ReidEmbedder:
    """crops (N,3,H,W) as the pose network gets them -> (N,512) unit embeddings."""

    def __init__(self, model: torch.nn.Module, device: str = "cpu", half: bool = False, batch_size: int = 64):
        self.device = torch.device(device)
        self.half = half
        self.model = prepare_model(model, self.device, half)
        self.batch_size = max(1, int(batch_size))

    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> "ReidEmbedder":
        return cls(load_osnet_ain(path), **kwargs)

    @torch.inference_mode()
    def __call__(self, crops: torch.Tensor) -> np.ndarray:
        if len(crops) == 0:
            return np.zeros((0, 512), np.float32)
        dtype = torch.float16 if self.half else torch.float32
        out = torch.cat([self.model(crops[i:i + self.batch_size].to(self.device, dtype=dtype)).float()
                         for i in range(0, len(crops), self.batch_size)])
        out = torch.nan_to_num(out)
        return torch.nn.functional.normalize(out, dim=1).cpu().numpy()
