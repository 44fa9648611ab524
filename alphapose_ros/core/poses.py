"""The pipeline's result type: all people of one image as parallel NumPy arrays."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

UNTRACKED = -1
TRACK_NONE, TRACK_NEW, TRACK_CONFIRMED = 0, 1, 2
# WholeBodyPoseArray.HEAD_* by the estimator's head name (msg/WholeBodyPoseArray.msg; a test keeps them
# equal); any other decoder (the MediaPipe backend) is HEAD_OTHER, an unknown one 0
HEAD_IDS = {"heatmap": 1, "integral": 2, "combined": 3, "mediapipe": 4}
_HEAD_NAMES = {v: k for k, v in HEAD_IDS.items()}


def head_id(head: str) -> int:
    """WholeBodyPoseArray.head for a head name."""
    return HEAD_IDS.get(head, HEAD_IDS["mediapipe"] if head else 0)


def head_name(head_id: int) -> str:
    """The head name of a WholeBodyPoseArray.head value ("" when unknown)."""
    return _HEAD_NAMES.get(int(head_id), "")


@dataclass
class PoseSet:
    """N poses of one keypoint format. Arrays are float32 unless noted.

    boxes (N,4) x1,y1,x2,y2 px; box_scores (N,); keypoints (N,K,2) px;
    keypoint_scores (N,K); scores (N,) pose (proposal) score;
    track_ids (N,) int64, -1 when untracked; track_states (N,) uint8; track_ages (N,) s;
    embeddings (N,D) or None; keypoints_3d (N,K,3) metres in the camera's optical frame, NaN where no
    valid depth, and positions (N,3) metres (NaN when unknown), or None without depth (core/people3d/keypoints_3d.py);
    frame_3d the frame of those ("" : the camera's optical frame); velocities_3d (N,K,3) and velocities (N,3) m/s in
    that frame, or None when not smoothed (core/tracking/one_euro.py).
    """

    format_name: str
    boxes: np.ndarray
    box_scores: np.ndarray
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    scores: np.ndarray
    track_ids: np.ndarray = field(default=None)  # type: ignore[assignment]
    track_states: np.ndarray = field(default=None)  # type: ignore[assignment]
    track_ages: np.ndarray = field(default=None)  # type: ignore[assignment]
    embeddings: np.ndarray | None = None
    head: str = ""  # the decoder of the keypoints: heatmap | integral | combined | mediapipe ("" unknown)
    keypoints_3d: np.ndarray | None = None
    positions: np.ndarray | None = None
    frame_3d: str = ""
    velocities_3d: np.ndarray | None = None
    velocities: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.boxes)
        self.boxes = np.asarray(self.boxes, np.float32).reshape(n, 4)
        self.box_scores = np.asarray(self.box_scores, np.float32).reshape(n)
        self.keypoints = np.asarray(self.keypoints, np.float32)
        if self.keypoints.ndim != 3:
            self.keypoints = self.keypoints.reshape(n, -1, 2)
        k = self.keypoints.shape[1]
        self.keypoint_scores = np.asarray(self.keypoint_scores, np.float32).reshape(n, k)
        self.scores = np.asarray(self.scores, np.float32).reshape(n)
        if self.track_ids is None:
            self.track_ids = np.full(n, UNTRACKED, np.int64)
        if self.track_states is None:
            self.track_states = np.full(n, TRACK_NONE, np.uint8)
        if self.track_ages is None:
            self.track_ages = np.zeros(n, np.float32)
        self.track_ids = np.asarray(self.track_ids, np.int64).reshape(n)
        self.track_states = np.asarray(self.track_states, np.uint8).reshape(n)
        self.track_ages = np.asarray(self.track_ages, np.float32).reshape(n)
        if self.embeddings is not None:
            self.embeddings = np.asarray(self.embeddings, np.float32)
            if self.embeddings.ndim != 2:
                self.embeddings = self.embeddings.reshape(n, -1)
        if self.keypoints_3d is not None:
            self.keypoints_3d = np.asarray(self.keypoints_3d, np.float32).reshape(n, k, 3)
            self.positions = (np.full((n, 3), np.nan, np.float32) if self.positions is None
                              else np.asarray(self.positions, np.float32).reshape(n, 3))
        if self.velocities_3d is not None:
            self.velocities_3d = np.asarray(self.velocities_3d, np.float32).reshape(n, k, 3)
            self.velocities = (np.full((n, 3), np.nan, np.float32) if self.velocities is None
                               else np.asarray(self.velocities, np.float32).reshape(n, 3))

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def num_keypoints(self) -> int:
        return self.keypoints.shape[1]

    @classmethod
    def empty(cls, format_name: str, num_keypoints: int, head: str = "") -> "PoseSet":
        return cls(format_name, np.zeros((0, 4)), np.zeros(0), np.zeros((0, num_keypoints, 2)),
                   np.zeros((0, num_keypoints)), np.zeros(0), head=head)

    def select(self, index: np.ndarray) -> "PoseSet":
        """A PoseSet of the rows `index` (bool mask or integer indices)."""
        emb = None if self.embeddings is None else self.embeddings[index]
        xyz = None if self.keypoints_3d is None else self.keypoints_3d[index]
        pos = None if self.positions is None else self.positions[index]
        vel3 = None if self.velocities_3d is None else self.velocities_3d[index]
        vel = None if self.velocities is None else self.velocities[index]
        return replace(self, boxes=self.boxes[index], box_scores=self.box_scores[index],
                       keypoints=self.keypoints[index], keypoint_scores=self.keypoint_scores[index],
                       scores=self.scores[index], track_ids=self.track_ids[index],
                       track_states=self.track_states[index], track_ages=self.track_ages[index],
                       embeddings=emb, keypoints_3d=xyz, positions=pos, velocities_3d=vel3, velocities=vel)
