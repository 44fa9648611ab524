"""RMPE's symmetric spatial transformer (SSTN + SDTN), as an option on FastPose (MODEL.STN).

The SSTN looks at the person crop, predicts an affine transform theta (2x3, starting as the
identity) and resamples the crop by it, so that a loose box can be re-centred and re-scaled before
the pose network sees it. The SDTN is its inverse: the keypoint maps, predicted in the refined
crop's frame, are resampled back into the original crop's frame, so everything downstream
(decoding, flip test, pose NMS, exports) sees maps of the crop it cut. Outside the refined crop the
maps take their own lowest value (no false peak at the border).

The parallel SPPE (training only, core.training.trainer): the same pose network with its weights held
fixed runs on the refined crop and is asked for the person's pose shifted to the crop centre, so
the loss reaches the SSTN only and pulls it to centre the person.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SymmetricSTN(nn.Module):
    """Localisation network and the two resamplings."""

    def __init__(self, channels: int = 16):
        super().__init__()
        c = channels
        self.loc = nn.Sequential(
            nn.Conv2d(3, c, 5, stride=2, padding=2), nn.BatchNorm2d(c), nn.ReLU(),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(),
            nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), nn.BatchNorm2d(4 * c), nn.ReLU(),
            nn.AdaptiveAvgPool2d((4, 3)), nn.Flatten(), nn.Linear(4 * c * 12, 64), nn.ReLU(), nn.Linear(64, 6))
        nn.init.zeros_(self.loc[-1].weight)
        with torch.no_grad():
            self.loc[-1].bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]))

    def theta(self, x: torch.Tensor) -> torch.Tensor:
        """(N,2,3) affine from refined-crop to crop coordinates (normalised to [-1, 1])."""
        return self.loc(x).view(-1, 2, 3)

    @staticmethod
    def sstn(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """The crop resampled by theta: pixel p of the output shows the crop at theta [p, 1]."""
        return F.grid_sample(x, affine_grid(theta.to(x.dtype), x.shape[-2:]), align_corners=False)

    @staticmethod
    def sdtn(maps: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """Maps of the refined crop resampled back into the original crop's frame (theta's inverse)."""
        grid = affine_grid(invert_affine(theta.float()).to(maps.dtype), maps.shape[-2:])
        low = maps.amin((2, 3), keepdim=True)
        return F.grid_sample(maps - low, grid, align_corners=False) + low


def affine_grid(theta: torch.Tensor, hw: tuple[int, int] | torch.Size) -> torch.Tensor:
    """F.affine_grid(theta, align_corners=False) as a matrix product (ONNX opset 17 has no AffineGrid)."""
    h, w = int(hw[0]), int(hw[1])
    xs = (torch.arange(w, dtype=theta.dtype, device=theta.device) + 0.5) * (2.0 / w) - 1
    ys = (torch.arange(h, dtype=theta.dtype, device=theta.device) + 0.5) * (2.0 / h) - 1
    base = torch.stack([xs.expand(h, w), ys[:, None].expand(h, w), torch.ones(h, w, dtype=theta.dtype,
                                                                               device=theta.device)], -1)
    return (base.reshape(1, h * w, 3) @ theta.transpose(1, 2)).reshape(-1, h, w, 2)


def invert_affine(theta: torch.Tensor) -> torch.Tensor:
    """(N,2,3) inverse of (N,2,3) affines, in closed form (exports to ONNX, which has no matrix inverse)."""
    a, b, tx = theta[:, 0, 0], theta[:, 0, 1], theta[:, 0, 2]
    c, d, ty = theta[:, 1, 0], theta[:, 1, 1], theta[:, 1, 2]
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return torch.stack([torch.stack([ia, ib, -(ia * tx + ib * ty)], 1),
                        torch.stack([ic, id_, -(ic * tx + id_ * ty)], 1)], 1)


def centred_targets(xy: torch.Tensor, weight: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """Keypoints (N,K,2) shifted so that their labelled ones' bounding-box centre sits at the centre
    of an (h, w) map: the parallel SPPE's labels."""
    h, w = hw
    lab = weight[..., None] > 0
    big = torch.finfo(xy.dtype).max
    lo = torch.where(lab, xy, torch.full_like(xy, big)).amin(1)
    hi = torch.where(lab, xy, torch.full_like(xy, -big)).amax(1)
    centre = torch.where(lab.any(1), (lo + hi) / 2, xy.new_tensor([(w - 1) / 2, (h - 1) / 2]))
    return xy - centre[:, None] + xy.new_tensor([(w - 1) / 2, (h - 1) / 2])


def to_refined(xy: torch.Tensor, theta: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """Keypoints (N,K,2) in a map's pixels of the original crop -> the same map's pixels of the refined crop."""
    h, w = hw
    scale = xy.new_tensor([w / 2, h / 2])
    norm = (xy + 0.5) / scale - 1  # align_corners=False: pixel centres
    inv = invert_affine(theta)
    out = norm @ inv[:, :, :2].transpose(1, 2) + inv[:, None, :, 2]
    return (out + 1) * scale - 0.5
