"""Training crops with AlphaPose-style augmentation: box jitter (PGPG), half-body, scale,
rotation and flip (with the format's left/right pairs), and the keypoint targets that go
with the crop, in heatmap pixels (the unit the SIKR and heatmap losses use)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from alphapose_ros.core.pose.crop import box_to_center_scale, normalise_crop
from alphapose_ros.core.skeletons import KeypointFormat
from alphapose_ros.core.training.pgpg import ProposalModel, part_box, part_of

UPPER_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
               "left_elbow", "right_elbow", "left_wrist", "right_wrist", "head", "neck")


@dataclass(frozen=True)
class AugmentConfig:
    """AlphaPose's DATASET.TRAIN.AUG fields (defaults as in its configs)."""

    flip: bool = True
    rot_factor: float = 40.0          # degrees; rotation ~ N(0, rot_factor) clipped at 2x, with prob 0.6
    scale_factor: float = 0.3         # scale ~ 1 + N(0, scale_factor) clipped at +-scale_factor
    num_joints_half_body: int = 8     # half-body crops only for people with more labelled joints
    prob_half_body: float = 0.3

    @classmethod
    def from_alphapose(cls, aug: dict) -> "AugmentConfig":
        return cls(bool(aug.get("FLIP", True)), float(aug.get("ROT_FACTOR", 40)), float(aug.get("SCALE_FACTOR", 0.3)),
                   int(aug.get("NUM_JOINTS_HALF_BODY", 8)), float(aug.get("PROB_HALF_BODY", 0.3)))


def crop_matrix(center: np.ndarray, scale_w: float, rotation_deg: float, out_wh: tuple[int, int]) -> np.ndarray:
    """2x3 affine: rotate by `rotation_deg` about `center`, scale the padded width `scale_w`
    onto the crop width, and put `center` at the crop's centre."""
    m = cv2.getRotationMatrix2D((float(center[0]), float(center[1])), rotation_deg, out_wh[0] / scale_w)
    m[:, 2] += np.array([out_wh[0] / 2.0, out_wh[1] / 2.0]) - center
    return m


def _half_body_box(kps: np.ndarray, fmt: KeypointFormat, rng: np.random.Generator) -> np.ndarray | None:
    vis = kps[:, 2] > 0
    body = np.arange(fmt.num_keypoints) < min(26, fmt.num_keypoints)  # body and feet, not face/hands
    upper = np.array([n in UPPER_NAMES for n in fmt.names]) & body
    pick = upper if rng.random() < 0.5 else body & ~upper
    sel = vis & pick
    if sel.sum() < 2:
        sel = vis & body
        if sel.sum() < 2:
            return None
    lo, hi = kps[sel, :2].min(0), kps[sel, :2].max(0)
    return np.concatenate([lo, hi]).astype(np.float32)


def training_sample(image_rgb: np.ndarray, keypoints: np.ndarray, box: np.ndarray, fmt: KeypointFormat,
                    input_hw: tuple[int, int], heatmap_hw: tuple[int, int], rng: np.random.Generator,
                    aug: AugmentConfig, proposals: ProposalModel | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One augmented crop: network input (3,H,W) float32, target keypoints (K,2) in heatmap
    pixels, and weights (K,) (1 for labelled keypoints that land inside the crop)."""
    h_in, w_in = input_hw
    kps = np.asarray(keypoints, np.float32).copy()
    box = np.asarray(box, np.float32)
    if proposals is not None:
        part = part_of(kps[:, 2], fmt)
        tight = part_box(kps, fmt, part) if part in ("face", "hand") else None
        box = proposals.sample(box if tight is None else tight, part, rng, kps)
    scale_mult = 1.25
    if aug.prob_half_body > 0 and (kps[:, 2] > 0).sum() > aug.num_joints_half_body and rng.random() < aug.prob_half_body:
        hb = _half_body_box(kps, fmt, rng)
        if hb is not None:
            box, scale_mult = hb, 1.5
    center, scale = box_to_center_scale(box[None], w_in / h_in, scale_mult)
    center, scale_w = center[0].astype(np.float64), float(scale[0, 0])
    if aug.scale_factor > 0:
        scale_w *= float(np.clip(1 + rng.normal() * aug.scale_factor, 1 - aug.scale_factor, 1 + aug.scale_factor))
    rot = 0.0
    if aug.rot_factor > 0 and rng.random() <= 0.6:
        rot = float(np.clip(rng.normal() * aug.rot_factor, -2 * aug.rot_factor, 2 * aug.rot_factor))
    img = image_rgb
    if aug.flip and rng.random() < 0.5:
        w = img.shape[1]
        img = img[:, ::-1]
        kps = kps[fmt.flip_permutation()]
        kps[:, 0] = w - 1 - kps[:, 0]
        center[0] = w - 1 - center[0]
    m = crop_matrix(center, scale_w, rot, (w_in, h_in))
    crop = cv2.warpAffine(np.ascontiguousarray(img), m, (w_in, h_in), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    xy = kps[:, :2] @ m[:, :2].T + m[:, 2]
    inside = (xy[:, 0] >= 0) & (xy[:, 0] <= w_in - 1) & (xy[:, 1] >= 0) & (xy[:, 1] <= h_in - 1)
    weight = ((kps[:, 2] > 0) & inside).astype(np.float32)
    target = xy * np.array([heatmap_hw[1] / w_in, heatmap_hw[0] / h_in])
    return normalise_crop(crop), target.astype(np.float32), weight
