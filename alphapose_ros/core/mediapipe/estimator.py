"""MediaPipe pose backend behind the pose-estimator interface: image + N boxes in, Halpe poses out.

One upright crop per box (centre = box centre, side = longer box side x 1.25), then by default a
second pass on the rotated ROI the first pass's alignment points give (as MediaPipe tracks).
Halpe-26 from the body model; Halpe-136 adds hands and face when their models run.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from alphapose_ros.core.pose.estimator import EstimatorOutput
from alphapose_ros.core.reid.embedder import embed_boxes
from alphapose_ros.core.mediapipe.assets import model_path
from alphapose_ros.core.mediapipe.body import ROI_SCALE, refined_rois, run_body, to_halpe26
from alphapose_ros.core.mediapipe.roi import Rois, rois_from_boxes
from alphapose_ros.core.mediapipe.runtime import TfliteModel
from alphapose_ros.core.skeletons import get_format


def roi_boxes(rois: Rois) -> np.ndarray:
    """Axis-aligned bounds (N,4) of rotated square ROIs."""
    half = rois.side / 2 * (np.abs(np.cos(rois.angle)) + np.abs(np.sin(rois.angle)))
    return np.concatenate([rois.centre - half[:, None], rois.centre + half[:, None]], 1).astype(np.float32)


class MediaPipePoseEstimator:
    """BlazePose-full (+ hands + face for Halpe-136) on person boxes, CPU, via LiteRT."""

    head = "mediapipe"

    def __init__(self, keypoint_format: str = "halpe_26", refine: bool = True, batch_size: int = 8,
                 num_threads: int = 2, cache: Path | None = None, embedder=None):
        if keypoint_format not in ("halpe_26", "halpe_136"):
            raise ValueError(f"the MediaPipe backend gives halpe_26 or halpe_136, not {keypoint_format!r}")
        self.format = get_format(keypoint_format)
        self.embedder = embedder  # re-ID on AlphaPose-style 256x192 crops of the boxes, or None
        self.refine = refine
        self.batch_size = max(1, int(batch_size))
        self.body = TfliteModel(model_path("pose_landmark", cache), num_threads)
        self.wholebody = None
        if keypoint_format == "halpe_136":
            from alphapose_ros.core.mediapipe.wholebody import WholeBody

            self.wholebody = WholeBody(cache, num_threads, self.batch_size)

    def describe(self) -> str:
        return (f"MediaPipe BlazePose-full{' + hands + face' if self.wholebody else ''} -> {self.format.name} "
                f"({'two passes' if self.refine else 'one pass'}, LiteRT CPU)")

    def __call__(self, image_rgb: np.ndarray, boxes_xyxy: np.ndarray) -> EstimatorOutput:
        """Poses for `boxes_xyxy` (N,4) in an RGB uint8 image (H,W,3)."""
        if not isinstance(image_rgb, np.ndarray):  # a torch tensor from the GPU path
            image_rgb = image_rgb.cpu().numpy()
        boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
        k = self.format.num_keypoints
        if len(boxes) == 0:
            return EstimatorOutput(np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32), np.zeros((0, 4)))
        rois = rois_from_boxes(boxes, ROI_SCALE)
        body = run_body(self.body, image_rgb, rois, self.batch_size)
        if self.refine:
            second = refined_rois(body)
            # keep the first ROI where it found no person: its alignment points mean nothing then
            use = (body.person >= 0.5) & (second.side >= 8) & np.isfinite(second.side)
            if use.any():  # only those rows run again
                rois = Rois(np.where(use[:, None], second.centre, rois.centre), np.where(use, second.side, rois.side),
                            np.where(use, second.angle, rois.angle))
                body = body.with_rows(use, run_body(self.body, image_rgb, rois.select(use), self.batch_size))
        xy, score = to_halpe26(body.xy, body.score)
        if self.wholebody is not None:
            xy, score = self.wholebody(image_rgb, body, xy, score)
        emb = None
        if self.embedder is not None:
            emb = embed_boxes(self.embedder, image_rgb, boxes)
        return EstimatorOutput(xy, score, roi_boxes(rois), emb)
