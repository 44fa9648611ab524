"""The two trackers behind one interface, and the step that runs poses through either.

Both take one frame at a time: `update(t, boxes, embeddings, keypoints, kp_scores, image)`
returns a TrackOutput, `reset()` forgets the tracks but never reuses an ID.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from alphapose_ros.core.poses import TRACK_CONFIRMED, TRACK_NEW, PoseSet
from alphapose_ros.core.tracking.msim import MSIMParams, MSIMTracker, TrackOutput
from alphapose_ros.core.tracking.poseflow import PoseFlowParams, PoseFlowTracker

TRACKERS = ("msim", "poseflow")


class Tracker(Protocol):
    def update(self, t: float, boxes: np.ndarray, embeddings: np.ndarray | None = None,
               keypoints: np.ndarray | None = None, kp_scores: np.ndarray | None = None,
               image: np.ndarray | None = None) -> TrackOutput: ...

    def reset(self) -> None: ...


def make_tracker(kind: str = "msim", msim: MSIMParams | None = None,
                 poseflow: PoseFlowParams | None = None) -> Tracker:
    """'msim' (the paper's Multi-Stage Identity Matching, the default) or 'poseflow'."""
    if kind == "msim":
        return MSIMTracker(msim or MSIMParams())
    if kind == "poseflow":
        return PoseFlowTracker(poseflow or PoseFlowParams())
    raise ValueError(f"unknown tracker {kind!r}: choose one of {', '.join(TRACKERS)}")


def track_poses(tracker: Tracker, t: float, poses: PoseSet, image: np.ndarray | None = None) -> PoseSet:
    """One frame's poses through a tracker: the tracked poses, with IDs, states, ages and the
    tracker's boxes (the pipeline's and the tracking node's shared step). `image` (BGR) feeds
    trackers that look at pixels (PoseFlow)."""
    out = tracker.update(t, poses.boxes, poses.embeddings, poses.keypoints, poses.keypoint_scores, image=image)
    has_pose = out.det_index >= 0  # a track that carries no pose this frame (-1) is not published with one
    i = out.det_index[has_pose]
    return PoseSet(poses.format_name, out.boxes[has_pose].astype(np.float32), poses.box_scores[i], poses.keypoints[i],
                   poses.keypoint_scores[i], poses.scores[i], track_ids=out.track_ids[has_pose],
                   track_states=np.where(out.confirmed[has_pose], TRACK_CONFIRMED, TRACK_NEW),
                   track_ages=out.ages[has_pose],
                   embeddings=None if poses.embeddings is None else poses.embeddings[i], head=poses.head)
