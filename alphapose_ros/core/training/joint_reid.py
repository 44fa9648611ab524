"""The re-ID network trained jointly with the pose network (paper section 4.3), for the config's
REID section (this package's field):

  REID: {TYPE: pga, EMBED_DIM: 128}                   pose-guided attention on the pose backbone (eq. 20)
  REID: {TYPE: osnet_ain, EMBED_DIM: 128, WIDTH: 0.25} OSNet-AIN's layout on the same crops, apart

Both learn from the identity loss on the samples that carry an identity (alphapose-make-data
synthetic --identities), balanced against the pose loss by learned uncertainties; PGA's loss also
reaches the shared backbone. The file written beside each pose checkpoint (reid_<step>.pth) is what
--reid-weights / reid_weights load (core.reid.embedder).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from alphapose_ros.core.reid.embedder import FINGERPRINT, pose_fingerprint
from alphapose_ros.core.reid.osnet_ain import OSNetAIN
from alphapose_ros.core.reid.pose_guided import MapsAndFeatures, PoseGuidedReID, backbone_channels
from alphapose_ros.core.training.reid_loss import UncertaintyBalance, identity_loss

REID_TYPES = ("pga", "osnet_ain")


@dataclass(frozen=True)
class ReIDSettings:
    type: str = "pga"
    embed_dim: int = 128
    width: float = 0.25       # OSNet-AIN only: channel multiplier
    attention: bool = True    # PGA only: false trains the branch without the attention map (ablation)

    @classmethod
    def from_dict(cls, d: dict) -> "ReIDSettings":
        s = cls(str(d.get("TYPE", "pga")), int(d.get("EMBED_DIM", 128)), float(d.get("WIDTH", 0.25)),
                bool(d.get("ATTENTION", True)))
        if s.type not in REID_TYPES:
            raise ValueError(f"REID.TYPE {s.type!r}: one of {', '.join(REID_TYPES)}")
        if s.embed_dim < 2 or not 0.05 <= s.width <= 2.0:
            raise ValueError("REID.EMBED_DIM must be >= 2 and REID.WIDTH within [0.05, 2]")
        return s


class JointReID(nn.Module):
    """The re-ID network with its identity classifier, and the loss balance."""

    def __init__(self, settings: ReIDSettings, pose_model: nn.Module, num_keypoints: int, num_identities: int):
        super().__init__()
        if num_identities < 2:
            raise ValueError("REID training needs a training set with identities (alphapose-make-data synthetic "
                             "--identities N); none has at least two")
        self.settings = settings
        if settings.type == "pga":
            if not (hasattr(pose_model, "preact") and hasattr(pose_model, "head")):
                raise ValueError(f"REID.TYPE pga attaches to FastPose or SimplePose, not {type(pose_model).__name__}")
            self.branch = PoseGuidedReID(backbone_channels(pose_model), num_keypoints, settings.embed_dim,
                                         num_identities=num_identities, attention=settings.attention)
        else:
            self.branch = OSNetAIN(num_identities, settings.width, settings.embed_dim)
        self.balance = UncertaintyBalance()

    def loss(self, pose_model: nn.Module, x: torch.Tensor, identities: torch.Tensor,
             pose_loss: Callable[[torch.Tensor], torch.Tensor]) -> tuple[torch.Tensor, float, float]:
        """(balanced total, pose loss, identity loss) for one batch."""
        if self.settings.type == "pga":
            out, features = MapsAndFeatures(pose_model)(x)
            _, logits = self.branch(features, out)
        else:
            out = pose_model(x)
            logits = self.branch(x)
        lp, li = pose_loss(out), identity_loss(logits, identities)
        return self.balance(lp, li), lp.item(), li.item()

    def inference_state(self, pose_model: nn.Module) -> dict[str, torch.Tensor]:
        """What reid_<step>.pth holds: the branch without its classifier (and, for PGA, the fingerprint of
        the pose weights it reads, so that it is not run beside other ones)."""
        state = {k: v for k, v in self.branch.state_dict().items() if not k.startswith("classifier.")}
        if self.settings.type == "pga":
            state[FINGERPRINT] = pose_fingerprint(pose_model)
        return state
