"""BlazePose-full body landmarks (33 points + 2 alignment points) and their mapping to Halpe-26.

The model takes a 256x256 RGB crop in [0,1] with the person upright and centred (hip centre in
the middle, the body inside a circle of half the side / 1.25). It returns, per point, x, y (crop
px), z, and visibility and presence logits; a person-presence probability; and two alignment
points (hip centre, body-circle point) that give a better, rotated ROI for a second pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphapose_ros.core.mediapipe.roi import Rois, rois_from_points, to_image
from alphapose_ros.core.mediapipe.runtime import TfliteModel, run_on_rois

SIZE = 256
ROI_SCALE = 1.25  # ROI side = 2 x body-circle radius x this (MediaPipe's own margin)

# BlazePose's 33 points, in model order.
BODY33 = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
          "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
          "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
          "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
          "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
          "left_foot_index", "right_foot_index")
_I = {n: i for i, n in enumerate(BODY33)}

# Halpe-26 point <- BlazePose points. One source: copied. Several: their mean (neck = mid-shoulders,
# hip = mid-hips), scored by the least visible source. MASKED points have no counterpart: they get
# a rough position (head top: eyes pushed away from the mouth by the eye-mouth distance; small toe:
# the foot-index point) and score 0, so drawing, NMS and users' thresholds ignore them.
HALPE26_FROM_BODY33: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = (
    ("nose", (("nose", 1.0),)),
    ("left_eye", (("left_eye", 1.0),)),
    ("right_eye", (("right_eye", 1.0),)),
    ("left_ear", (("left_ear", 1.0),)),
    ("right_ear", (("right_ear", 1.0),)),
    ("left_shoulder", (("left_shoulder", 1.0),)),
    ("right_shoulder", (("right_shoulder", 1.0),)),
    ("left_elbow", (("left_elbow", 1.0),)),
    ("right_elbow", (("right_elbow", 1.0),)),
    ("left_wrist", (("left_wrist", 1.0),)),
    ("right_wrist", (("right_wrist", 1.0),)),
    ("left_hip", (("left_hip", 1.0),)),
    ("right_hip", (("right_hip", 1.0),)),
    ("left_knee", (("left_knee", 1.0),)),
    ("right_knee", (("right_knee", 1.0),)),
    ("left_ankle", (("left_ankle", 1.0),)),
    ("right_ankle", (("right_ankle", 1.0),)),
    ("head", (("left_eye", 1.0), ("right_eye", 1.0), ("mouth_left", -0.5), ("mouth_right", -0.5))),
    ("neck", (("left_shoulder", 0.5), ("right_shoulder", 0.5))),
    ("hip", (("left_hip", 0.5), ("right_hip", 0.5))),
    ("left_big_toe", (("left_foot_index", 1.0),)),
    ("right_big_toe", (("right_foot_index", 1.0),)),
    ("left_small_toe", (("left_foot_index", 1.0),)),
    ("right_small_toe", (("right_foot_index", 1.0),)),
    ("left_heel", (("left_heel", 1.0),)),
    ("right_heel", (("right_heel", 1.0),)),
)
MASKED = ("head", "left_small_toe", "right_small_toe")


def _mapping() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights (26,33) for positions, source mask (26,33) for scores, and the masked rows (26,)."""
    w = np.zeros((len(HALPE26_FROM_BODY33), len(BODY33)))
    for row, (_, sources) in enumerate(HALPE26_FROM_BODY33):
        for name, weight in sources:
            w[row, _I[name]] = weight
    masked = np.array([name in MASKED for name, _ in HALPE26_FROM_BODY33])
    return w, w != 0, masked


_W, _SRC, _MASKED = _mapping()


def to_halpe26(xy33: np.ndarray, score33: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,33,2), (N,33) BlazePose -> (N,26,2), (N,26) Halpe-26 (see HALPE26_FROM_BODY33)."""
    xy = np.einsum("kj,njd->nkd", _W, xy33)
    s = np.where(_SRC[None], score33[:, None, :], np.inf).min(2)
    s[:, _MASKED] = 0.0
    return xy.astype(np.float32), s.astype(np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))


@dataclass
class BodyLandmarks:
    """xy (N,33,2) image px, score (N,33) = presence x sigmoid(visibility), person (N,) probability,
    align (N,2,2) hip centre and body-circle point in image px."""

    xy: np.ndarray
    score: np.ndarray
    person: np.ndarray
    align: np.ndarray

    def with_rows(self, rows: np.ndarray, other: "BodyLandmarks") -> "BodyLandmarks":
        """A copy whose `rows` (boolean mask) are replaced by `other`'s rows, in order."""
        out = BodyLandmarks(self.xy.copy(), self.score.copy(), self.person.copy(), self.align.copy())
        out.xy[rows], out.score[rows] = other.xy, other.score
        out.person[rows], out.align[rows] = other.person, other.align
        return out


def run_body(model: TfliteModel, image_rgb: np.ndarray, rois: Rois, batch_size: int = 8) -> BodyLandmarks:
    """Landmarks for every ROI, in batches of `batch_size` crops."""
    raw, flags = run_on_rois(model, image_rgb, rois, batch_size)[:2]
    lm, person = raw.reshape(len(rois), 39, 5), flags.reshape(len(rois))
    xy = to_image(lm[:, :35, :2].astype(np.float64), rois, SIZE)
    score = sigmoid(lm[:, :33, 3]) * person[:, None]
    return BodyLandmarks(xy[:, :33], score, person, xy[:, 33:35])


def refined_rois(body: BodyLandmarks) -> Rois:
    """The rotated ROIs MediaPipe tracks with: from the alignment points of a first pass."""
    return rois_from_points(body.align[:, 0], body.align[:, 1], ROI_SCALE)
