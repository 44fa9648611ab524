"""One frame through the pose stages: crop + pose network, then pose NMS.

The offline command and the ROS nodes call these same functions; the concurrent,
queue-joined version of the pipeline builds on them.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from alphapose_ros.core.estimator import PoseEstimator
from alphapose_ros.core.oks_nms import oks_nms
from alphapose_ros.core.pose_nms import PoseNMSParams, parametric_pose_nms
from alphapose_ros.core.poses import PoseSet

NMS_KINDS = ("parametric", "oks", "none")


@dataclass(frozen=True)
class PoseNMSConfig:
    """Which pose NMS to run after pose estimation, with its parameters."""

    kind: str = "parametric"
    params: PoseNMSParams | None = None  # None: AlphaPose's defaults for the model
    oks_thresh: float = 0.9

    def __post_init__(self) -> None:
        if self.kind not in NMS_KINDS:
            raise ValueError(f"unknown pose NMS {self.kind!r}; expected one of {NMS_KINDS}")


def apply_pose_nms(poses: PoseSet, kind: str, params: PoseNMSParams, oks_thresh: float = 0.9
                   ) -> tuple[PoseSet, list[list[int]]]:
    """Pose NMS on one frame's poses; returns kept poses (scored with the proposal score)
    and, for each, the input rows merged into it."""
    if kind not in NMS_KINDS:
        raise ValueError(f"unknown pose NMS {kind!r}; expected one of {NMS_KINDS}")
    if len(poses) == 0 or kind == "none":
        return poses, [[i] for i in range(len(poses))]
    if kind == "parametric":
        r = parametric_pose_nms(poses.boxes, poses.box_scores, poses.keypoints, poses.keypoint_scores, params)
        kept = PoseSet(poses.format_name, poses.boxes[r.picks], poses.box_scores[r.picks], r.keypoints,
                       r.keypoint_scores, r.proposal_scores)
        return kept, [m.tolist() for m in r.merged]
    kp, ks = poses.keypoints, poses.keypoint_scores
    flat = np.concatenate([kp, ks[..., None]], -1).reshape(len(poses), -1)
    ext = kp.max(1) - kp.min(1)
    keep = oks_nms(flat, poses.box_scores * ks.mean(1), ext[:, 0] * ext[:, 1], oks_thresh)
    return poses.select(keep), [[int(i)] for i in keep]


def proposal_scores(keypoint_scores: np.ndarray, box_scores: np.ndarray) -> np.ndarray:
    """AlphaPose's person score: mean + box score + 1.25 x max of the keypoint scores."""
    if keypoint_scores.size == 0:
        return np.zeros(len(box_scores), np.float32)
    return keypoint_scores.mean(1) + box_scores + 1.25 * keypoint_scores.max(1)


def suppress(estimator: PoseEstimator, boxes: np.ndarray, box_scores: np.ndarray, keypoints: np.ndarray,
             keypoint_scores: np.ndarray, nms: PoseNMSConfig) -> tuple[PoseSet, list[list[int]]]:
    """Pose NMS on a frame's raw poses; returns kept poses and the input rows merged into each."""
    poses = PoseSet(estimator.format.name, boxes, box_scores, keypoints, keypoint_scores,
                    proposal_scores(keypoint_scores, box_scores))
    params = nms.params or PoseNMSParams.for_layout(estimator.format.num_keypoints,
                                                    heatmap_head=estimator.cfg.head == "heatmap")
    return apply_pose_nms(poses, nms.kind, params, nms.oks_thresh)


def estimate_frame(estimator: PoseEstimator, image_bgr: np.ndarray, boxes: np.ndarray, box_scores: np.ndarray,
                   nms: PoseNMSConfig = PoseNMSConfig()) -> tuple[PoseSet, list[list[int]]]:
    """Poses of one BGR frame given its person boxes (N,4) and detector scores (N,)."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    box_scores = np.asarray(box_scores, np.float32).reshape(-1)
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)  # the pose network expects RGB
    out = estimator(rgb, boxes)
    return suppress(estimator, boxes, box_scores, out.keypoints, out.keypoint_scores, nms)


class FramePipeline:
    """Detection -> pose estimation -> pose NMS -> tracking for one frame at a time, in order.

    `detector` may be None when boxes come with the frame (a detfile, another node).
    """

    def __init__(self, estimator: PoseEstimator, detector=None, nms: PoseNMSConfig = PoseNMSConfig(),
                 tracker=None):
        self.estimator = estimator
        self.detector = detector
        self.nms = nms
        self.tracker = tracker

    def process(self, t: float, image_bgr: np.ndarray, boxes: np.ndarray | None = None,
                box_scores: np.ndarray | None = None) -> PoseSet:
        if boxes is None:
            if self.detector is None:
                raise ValueError("no detector and no boxes given")
            d = self.detector.detect([image_bgr])[0]
            boxes, box_scores = d.boxes, d.scores
        poses, _ = estimate_frame(self.estimator, image_bgr, boxes, box_scores, self.nms)
        if self.tracker is None:
            return poses
        from alphapose_ros.core.tracking.msim import track_poses

        return track_poses(self.tracker, t, poses)
