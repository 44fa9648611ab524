"""Crossing scenes (synthetic.tracking_scenes) drawn as synthetic figures with their own clothes, so
that a pose network and its re-ID embeddings run on real pixels: the scene's people walk, cross
and hide each other as there; each is one identity of synthetic.figures' identity_looks, posed
afresh every frame, over a photo. What re-ID tracking is measured on (bench.reid_tracking).
"""
from __future__ import annotations

import cv2
import numpy as np

from alphapose_ros.synthetic.tracking_scenes import SceneFrame, SceneSpec
from alphapose_ros.synthetic.figures import background_images, draw_figure, identity_looks, pose_figure

HELD_OUT_SEED = 1000  # identity seeds from here on: people no training set made here has seen


class FigureRenderer:
    """Draws a scene's frames: one background photo for the whole scene (a still camera), and one look
    per scene person from identity seed HELD_OUT_SEED + spec.seed."""

    def __init__(self, spec: SceneSpec, backgrounds: list[np.ndarray] | None = None):
        self.spec = spec
        photos = background_images() if backgrounds is None else backgrounds
        w, h = spec.width, spec.height
        if photos:
            self.background = cv2.resize(photos[spec.seed % len(photos)], (w, h), interpolation=cv2.INTER_AREA)
        else:
            self.background = np.random.default_rng(spec.seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
        self.looks = identity_looks(spec.people, HELD_OUT_SEED + spec.seed)

    def __call__(self, frame: SceneFrame, index: int) -> np.ndarray:
        """The frame (BGR): every true person drawn around their box (arms may reach out of it), the farther
        (higher bottom edge) first."""
        img = self.background.copy()
        for i in np.argsort(frame.gt_boxes[:, 3]):
            x0, y0, x1, y1 = frame.gt_boxes[i]
            pid = int(frame.gt_ids[i])
            rng = np.random.default_rng([self.spec.seed, pid, index])
            hip = np.array([(x0 + x1) / 2, (y0 + y1) / 2 + 0.03 * (y1 - y0)])
            draw_figure(img, pose_figure(rng, hip, 0.95 * (y1 - y0), self.looks[pid]))
        return img
