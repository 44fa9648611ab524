"""Hands and face for Halpe-136: ROIs cut from the body landmarks, MediaPipe's hand (21 points)
and face-mesh (468 points) models, mapped into Halpe's layout.

Hand ROI: up axis from the wrist to the middle of BlazePose's index and pinky knuckles, side and
centre scaled from that distance (`HAND_SCALE`, `HAND_SHIFT`, chosen where the hand model's
presence score peaks on the sample footage). MediaPipe's 21 hand points are in Halpe's hand order
(wrist, then 4 points per finger from the thumb to the little finger), so they map one to one.
Face ROI: centred between eyes and mouth, up axis towards the eyes; the 468-point mesh is mapped to
the 68-point 300-W layout of Halpe's face by `FACE68_FROM_MESH468`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from alphapose_ros.core.mediapipe.assets import model_path
from alphapose_ros.core.mediapipe.body import BODY33, BodyLandmarks, sigmoid
from alphapose_ros.core.mediapipe.roi import Rois, rois_from_points, to_image
from alphapose_ros.core.mediapipe.runtime import TfliteModel, run_on_rois

HAND_SIZE, FACE_SIZE = 224, 192
HAND_SCALE, HAND_SHIFT = 2.0, 0.5
FACE_SCALE = 3.5
_I = {n: i for i, n in enumerate(BODY33)}

# 300-W 68-point face (Halpe's face_0..face_67) <- face-mesh vertex, one per point: jaw 0-16 from the
# subject's right ear to the left, brows 17-26, nose bridge 27-30, nostrils 31-35, eyes 36-47,
# outer lips 48-59, inner lips 60-67.
FACE68_FROM_MESH468 = (
    162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,
    71, 63, 105, 66, 107, 336, 296, 334, 293, 301,
    168, 197, 5, 4, 75, 97, 2, 326, 305,
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    78, 82, 13, 312, 308, 317, 14, 87,
)


def hand_rois(body: BodyLandmarks, side: str) -> Rois:
    wrist = body.xy[:, _I[f"{side}_wrist"]]
    knuckles = (body.xy[:, _I[f"{side}_index"]] + body.xy[:, _I[f"{side}_pinky"]]) / 2
    return rois_from_points(wrist, knuckles, HAND_SCALE, HAND_SHIFT)


def face_rois(body: BodyLandmarks) -> Rois:
    eyes = (body.xy[:, _I["left_eye"]] + body.xy[:, _I["right_eye"]]) / 2
    mouth = (body.xy[:, _I["mouth_left"]] + body.xy[:, _I["mouth_right"]]) / 2
    return rois_from_points((eyes + mouth) / 2, eyes, FACE_SCALE)


class WholeBody:
    """Adds face (26-93) and hands (94-114 left, 115-135 right) to Halpe-26 poses."""

    def __init__(self, cache: Path | None = None, num_threads: int = 2, batch_size: int = 8):
        self.hand = TfliteModel(model_path("hand_landmark", cache), num_threads)
        self.face = TfliteModel(model_path("face_landmark", cache), num_threads)
        self.batch_size = batch_size

    def hands(self, image_rgb: np.ndarray, body: BodyLandmarks) -> tuple[np.ndarray, np.ndarray]:
        """(N,42,2) left then right hand points, (N,42) scores = hand presence x wrist score."""
        n = len(body.xy)
        rois = [hand_rois(body, s) for s in ("left", "right")]
        both = Rois(*(np.concatenate([getattr(r, f) for r in rois]) for f in ("centre", "side", "angle")))
        lm, presence = run_on_rois(self.hand, image_rgb, both, self.batch_size)[:2]
        xy = to_image(lm.reshape(2 * n, 21, 3)[..., :2].astype(np.float64), both, HAND_SIZE)
        wrist = np.concatenate([body.score[:, _I["left_wrist"]], body.score[:, _I["right_wrist"]]])
        score = np.repeat((presence.reshape(-1) * wrist)[:, None], 21, 1)
        return (np.concatenate([xy[:n], xy[n:]], 1), np.concatenate([score[:n], score[n:]], 1))

    def faces(self, image_rgb: np.ndarray, body: BodyLandmarks) -> tuple[np.ndarray, np.ndarray]:
        """(N,68,2) face points, (N,68) scores = face presence x the body's least visible eye/mouth point."""
        rois = face_rois(body)
        mesh, flag = run_on_rois(self.face, image_rgb, rois, self.batch_size)
        pts = mesh.reshape(len(rois), 468, 3)[:, FACE68_FROM_MESH468, :2].astype(np.float64)
        seen = body.score[:, [_I[k] for k in ("left_eye", "right_eye", "mouth_left", "mouth_right")]].min(1)
        score = sigmoid(flag.reshape(-1)) * seen
        return to_image(pts, rois, FACE_SIZE), np.repeat(score[:, None], 68, 1)

    def __call__(self, image_rgb: np.ndarray, body: BodyLandmarks, xy26: np.ndarray, score26: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        face_xy, face_s = self.faces(image_rgb, body)
        hand_xy, hand_s = self.hands(image_rgb, body)
        xy = np.concatenate([xy26, face_xy, hand_xy], 1).astype(np.float32)
        return xy, np.concatenate([score26, face_s, hand_s], 1).astype(np.float32)
