"""Re-ID embeddings of people from their pose crops, for the tracker's first stage.

Two kinds, told apart by the weights file's parameter names:
- OSNet-AIN runs on the pose network's own input crops (as AlphaPose's tracker does), so no
  second crop is cut: the released x1.0 file (MSMT17; its identity classifier is dropped) or one
  that `alphapose-train` trained beside the pose network (REID.TYPE osnet_ain).
- The paper's pose-guided attention branch (REID.TYPE pga) runs on the pose network's backbone
  features and keypoint maps, in the same pass as the pose (core.pose.estimator asks for them); its file
  carries a fingerprint of the pose weights it was trained with, so it is refused beside others.
Embeddings are L2-normalised.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from alphapose_ros.core.pose.checkpoints import CheckpointError, load_state_dict_strict, read_state_dict
from alphapose_ros.core.pose.estimator import prepare_model
from alphapose_ros.core.reid.osnet_ain import load_osnet_ain
from alphapose_ros.core.reid.pose_guided import PoseGuidedReID, backbone_channels

FINGERPRINT = "pose_fingerprint"  # the key of a PGA file's pose-weights fingerprint


class ReidEmbedder:
    """crops (N,3,H,W) as the pose network gets them -> (N,D) unit embeddings (OSNet-AIN)."""

    def __init__(self, model: torch.nn.Module, device: str = "cpu", half: bool = False, batch_size: int = 64):
        self.device = torch.device(device)
        self.half = half
        self.model = prepare_model(model, self.device, half)
        self.dim = int(getattr(model, "embed_dim", 512))
        self.batch_size = max(1, int(batch_size))

    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> "ReidEmbedder":
        return cls(load_osnet_ain(path), **kwargs)

    @torch.inference_mode()
    def __call__(self, crops: torch.Tensor) -> np.ndarray:
        if len(crops) == 0:
            return np.zeros((0, self.dim), np.float32)
        dtype = torch.float16 if self.half else torch.float32
        out = torch.cat([self.model(crops[i:i + self.batch_size].to(self.device, dtype=dtype)).float()
                         for i in range(0, len(crops), self.batch_size)])
        out = torch.nan_to_num(out)
        return torch.nn.functional.normalize(out, dim=1).cpu().numpy()


def embed_boxes(embedder, image_rgb: np.ndarray, boxes_xyxy: np.ndarray) -> np.ndarray:
    """Re-ID embeddings of `boxes_xyxy` cut from an RGB image as AlphaPose's 256x192 crops: what backends
    whose own crops are not those (MediaPipe, the RTMPose family) hand the embedder."""
    from alphapose_ros.core.pose.crop import crop_batch

    return embedder(torch.from_numpy(crop_batch(image_rgb, boxes_xyxy, (256, 192))[0]))


def pose_fingerprint(pose_model: torch.nn.Module) -> torch.Tensor:
    """SHA-256 (32 uint8) of the pose network's float tensors as float32, in state_dict order: any
    other weights, even one value apart, give another fingerprint."""
    h = hashlib.sha256()
    for name, t in pose_model.state_dict().items():
        if t.is_floating_point():
            h.update(name.encode())
            h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
    return torch.tensor(list(h.digest()), dtype=torch.uint8)


class PoseGuidedEmbedder:
    """The pose-guided attention branch, fed by the pose network's pass: `embed(features, maps)`."""

    needs_features = True  # core.pose.estimator hands over the backbone features instead of crops

    def __init__(self, branch: PoseGuidedReID, fingerprint: torch.Tensor | None, source: str = "re-ID weights"):
        self.branch, self.fingerprint, self.source = branch.eval(), fingerprint, source
        self.dim = branch.fc.out_features

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor], source: str) -> "PoseGuidedEmbedder":
        fp = state.pop(FINGERPRINT, None)
        state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
        reduce, att = state["reduce.0.weight"], state.get("attention.weight")
        branch = PoseGuidedReID(reduce.shape[1], att.shape[1] if att is not None else 1,
                                embed_dim=state["fc.weight"].shape[0], reid_channels=reduce.shape[0],
                                attention=att is not None)
        load_state_dict_strict(branch, state, source=source, advice="expected a pose-guided re-ID branch "
                               "written by alphapose-train (REID.TYPE pga)")
        return cls(branch, fp, source)

    def bind(self, pose_model: torch.nn.Module, num_keypoints: int, device: torch.device, half: bool) -> None:
        """Check that the branch belongs to this pose network, then move it beside it."""
        if not (hasattr(pose_model, "preact") and hasattr(pose_model, "head")):
            raise CheckpointError(f"{self.source}: pose-guided re-ID runs on FastPose or SimplePose backbones, "
                                  f"not {type(pose_model).__name__}")
        if getattr(pose_model, "stn", None) is not None:
            raise CheckpointError(f"{self.source}: pose-guided re-ID does not run on a FastPose with MODEL.STN")
        have, want = backbone_channels(pose_model), self.branch.reduce[0].in_channels
        if have != want:
            raise CheckpointError(f"{self.source}: the branch reads {want}-channel backbone features, the pose "
                                  f"network gives {have}")
        if self.branch.attention is not None and self.branch.attention.in_channels != num_keypoints:
            raise CheckpointError(f"{self.source}: the branch attends over {self.branch.attention.in_channels} "
                                  f"keypoint maps, the pose network gives {num_keypoints}")
        if self.fingerprint is not None and not torch.equal(pose_fingerprint(pose_model), self.fingerprint):
            raise CheckpointError(f"{self.source}: these pose-guided re-ID weights were trained with other pose "
                                  "weights (fingerprint differs); use the pose checkpoint of the same "
                                  "alphapose-train step (model_<step>.pth beside reid_<step>.pth)")
        self.branch = prepare_model(self.branch, device, half)

    @torch.inference_mode()
    def embed(self, features: torch.Tensor, maps: torch.Tensor) -> np.ndarray:
        emb, _ = self.branch(features.to(next(self.branch.parameters()).dtype), maps.to(features.dtype))
        return torch.nan_to_num(emb.float()).cpu().numpy()

    def __call__(self, crops: torch.Tensor) -> np.ndarray:
        raise ValueError(f"{self.source}: pose-guided re-ID embeddings come from the AlphaPose pose network's "
                         "own pass (backend alphapose, engine torch); this estimator cannot give them")


def load_reid_embedder(path: str | Path, device: str = "cpu", half: bool = False):
    """The embedder a re-ID weights file holds: ReidEmbedder (OSNet-AIN) or PoseGuidedEmbedder (PGA)."""
    state = read_state_dict(path)
    if "reduce.0.weight" in state:
        return PoseGuidedEmbedder.from_state(state, str(path))
    return ReidEmbedder(load_osnet_ain(path, state), device=device, half=half)
