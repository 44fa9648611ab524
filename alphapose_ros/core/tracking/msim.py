"""Multi-Stage Identity Matching (paper section 4.2), with a Kalman filter per track.

Per frame, on Kalman-predicted tracks:
  1. (with embeddings) tracked + lost tracks vs detections by embedding cosine distance,
     gated by Mahalanobis distance (chi-square 95%) and mixed with it; accept <= 0.7.
     A matched lost track comes back with its old ID.
  2. remaining tracks vs detections by (1 - IoU) + lambda * the paper's pose distance (eq. 19);
     accept <= 0.5. Without embeddings the lost tracks take part here, so a person
     hidden for a while still gets the old ID back.
  3. the relaxed repeat of stage 2 at 0.7: the tracks born in the previous frame and never confirmed
     (AlphaPose's code), or with relaxed_all every track stages 1-2 left (the paper), vs what is
     left; unconfirmed tracks that fail are dropped.
  4. new tracks (new IDs) for the remaining detections.
Lost tracks expire after `max_lost_seconds` of IMAGE time (not a frame count: frames
get dropped under ROS). IDs are unique for the tracker's life and never reused;
reset() clears the state (a bag restart, time jumping backwards) but keeps counting IDs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alphapose_ros.core.tracking.kalman import KalmanFilter, tlbr_to_xyah, xyah_to_tlbr
from alphapose_ros.core.tracking.matching import (embedding_distance, fuse_motion, iou_distance, linear_assignment,
                                                  normalised_pose_distance)

NEW, TRACKED, LOST = 0, 1, 2


@dataclass(frozen=True)
class MSIMParams:
    embedding_thresh: float = 0.7   # stage 1 (mu_emb)
    fused_thresh: float = 0.5       # stage 2 (mu_f)
    relaxed_thresh: float = 0.7     # stage 3
    pose_weight: float = 0.0        # lambda_np, weight of the paper's pose distance (eq. 19); 0 = AlphaPose's code
    relaxed_all: bool = True        # stage 3 over every track stage 2 left (the paper; bench.tracking: 7x fewer
                                    # ID switches without embeddings); False: only the tracks born in the
                                    # previous frame (AlphaPose's code)
    max_lost_seconds: float = 8.0   # AlphaPose: 240 frames at 30 fps
    frame_rate: float = 30.0        # nominal rate: Kalman steps are elapsed time x rate
    feature_momentum: float = 0.9   # track feature = 0.9 old + 0.1 new
    duplicate_iou_dist: float = 0.15


@dataclass
class Track:
    track_id: int
    mean: np.ndarray
    cov: np.ndarray
    feature: np.ndarray | None
    keypoints: np.ndarray | None
    kp_scores: np.ndarray | None
    start_time: float
    last_time: float
    start_frame: int
    state: int = NEW
    activated: bool = False
    det_index: int = -1

    @property
    def tlbr(self) -> np.ndarray:
        return xyah_to_tlbr(self.mean[None, :4])[0]


@dataclass
class TrackOutput:
    """Per output track: id, the detection row it carries (-1 when none), filtered box,
    confirmed flag and age in seconds (image time)."""

    track_ids: np.ndarray
    det_index: np.ndarray
    boxes: np.ndarray
    confirmed: np.ndarray
    ages: np.ndarray


@dataclass
class MSIMTracker:
    params: MSIMParams = field(default_factory=MSIMParams)
    kf: KalmanFilter = field(default_factory=KalmanFilter)
    next_id: int = 1

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget all tracks (IDs keep counting, so none is ever reused)."""
        self.tracked: list[Track] = []
        self.lost: list[Track] = []
        self.frame = 0
        self.last_time: float | None = None

    def update(self, t: float, boxes: np.ndarray, embeddings: np.ndarray | None = None,
               keypoints: np.ndarray | None = None, kp_scores: np.ndarray | None = None,
               image: np.ndarray | None = None) -> TrackOutput:
        """Associate one frame's detections (boxes (N,4) tlbr) taken at image time t (s);
        `image` is part of the trackers' shared interface and not used by MSIM."""
        p = self.params
        if self.last_time is not None and t < self.last_time:
            self.reset()  # time went backwards: a bag loop or a restarted source
        dt = 1.0 if self.last_time is None else max((t - self.last_time) * p.frame_rate, 0.0)
        self.last_time = t
        self.frame += 1
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        n = len(boxes)
        feats = None
        if embeddings is not None and len(embeddings):
            e = np.asarray(embeddings, np.float64).reshape(n, -1)
            feats = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        xyah = tlbr_to_xyah(boxes) if n else np.zeros((0, 4))

        unconfirmed = [tr for tr in self.tracked if not tr.activated]
        confirmed = [tr for tr in self.tracked if tr.activated]
        pool = confirmed + self.lost
        if pool:  # predict every track of the pool at once
            for tr in pool:
                if tr.state != TRACKED:
                    tr.mean[7] = 0.0  # a lost track's height stops changing
            means = np.stack([tr.mean for tr in pool])
            means, covs = self.kf.predict(means, np.stack([tr.cov for tr in pool]), dt)
            for tr, m, c in zip(pool, means, covs):
                tr.mean, tr.cov = m, c

        activated, refound, lost_now, removed = [], [], [], []
        remaining = np.arange(n)

        # 1. embeddings
        if feats is not None and pool:
            tfeat = np.stack([tr.feature if tr.feature is not None else np.zeros(feats.shape[1]) for tr in pool])
            cost = embedding_distance(tfeat, feats)
            cost = fuse_motion(self.kf, cost, np.stack([tr.mean for tr in pool]),
                               np.stack([tr.cov for tr in pool]), xyah)
            matches, u_track, u_det = linear_assignment(cost, p.embedding_thresh)
            for i, j in matches:
                was_lost = pool[i].state == LOST
                self._update_track(pool[i], j, xyah, feats, keypoints, kp_scores, t)
                (refound if was_lost else activated).append(pool[i])
            stage2 = [pool[i] for i in u_track if pool[i].state == TRACKED]
            remaining = u_det
        else:
            stage2 = pool  # without embeddings, lost tracks are matched by position and shape too

        # 2. IoU (+ pose shape)
        cost = self._fused_cost(stage2, boxes, remaining, keypoints, kp_scores)
        matches, u_track, u_det = linear_assignment(cost, p.fused_thresh)
        for i, j in matches:
            was_lost = stage2[i].state == LOST
            self._update_track(stage2[i], remaining[j], xyah, feats, keypoints, kp_scores, t)
            (refound if was_lost else activated).append(stage2[i])
        left = [stage2[i] for i in u_track]
        remaining = remaining[u_det]

        # 3. relaxed repeat: the tracks born last frame (AlphaPose), or every track still unmatched (the paper)
        stage3 = (left if p.relaxed_all else []) + unconfirmed
        cost = self._fused_cost(stage3, boxes, remaining, keypoints, kp_scores)
        matches, u3, u_det = linear_assignment(cost, p.relaxed_thresh)
        for i, j in matches:
            was_lost = stage3[i].state == LOST
            self._update_track(stage3[i], remaining[j], xyah, feats, keypoints, kp_scores, t)
            (refound if was_lost else activated).append(stage3[i])
        matched3 = {id(stage3[i]) for i, _ in matches}
        for tr in left:  # still unmatched: a tracked track is lost now
            if id(tr) not in matched3 and tr.state == TRACKED:
                tr.state = LOST
                lost_now.append(tr)
        removed += [tr for tr in unconfirmed if id(tr) not in matched3]
        remaining = remaining[u_det]

        # 4. new tracks
        new = []
        for j in remaining:
            mean, cov = self.kf.initiate(xyah[j])
            tr = Track(self.next_id, mean[0], cov[0], None if feats is None else feats[j].copy(),
                       None if keypoints is None else np.asarray(keypoints[j], np.float64),
                       None if kp_scores is None else np.asarray(kp_scores[j], np.float64),
                       t, t, self.frame, state=TRACKED, activated=False, det_index=int(j))
            self.next_id += 1
            new.append(tr)

        # bookkeeping, in AlphaPose's order: the tracked list keeps its order, then the newly activated and
        # new tracks, then the re-found ones (a track re-found in the frame another is born comes after it)
        removed_ids = {id(tr) for tr in removed}
        lost_ids = {id(tr) for tr in lost_now}
        self.tracked = [tr for tr in self.tracked if id(tr) not in removed_ids and id(tr) not in lost_ids]
        self.tracked += [tr for tr in activated if tr not in self.tracked] + new
        self.tracked += refound
        self.lost = [tr for tr in self.lost if tr not in refound] + lost_now
        self.lost = [tr for tr in self.lost if t - tr.last_time <= p.max_lost_seconds]
        self._remove_duplicates()
        out = [tr for tr in self.tracked if tr.state == TRACKED]
        for tr in out:
            if tr not in activated and tr not in refound and tr not in new:
                tr.det_index = -1
        return TrackOutput(np.array([tr.track_id for tr in out], np.int64),
                           np.array([tr.det_index for tr in out], np.int64),
                           np.array([tr.tlbr for tr in out]).reshape(-1, 4),
                           np.array([tr.activated for tr in out], bool),
                           np.array([t - tr.start_time for tr in out], np.float64))

    def _fused_cost(self, tracks: list[Track], boxes: np.ndarray, rows: np.ndarray, keypoints, kp_scores) -> np.ndarray:
        """(1 - IoU) + pose_weight x normalised pose distance, tracks x detections[rows]."""
        p = self.params
        cost = iou_distance(np.stack([tr.tlbr for tr in tracks]) if tracks else np.zeros((0, 4)), boxes[rows])
        if (p.pose_weight and keypoints is not None and kp_scores is not None and tracks and len(rows)
                and all(tr.keypoints is not None and tr.kp_scores is not None for tr in tracks)):
            cost = cost + p.pose_weight * normalised_pose_distance(
                np.stack([tr.keypoints for tr in tracks]), np.stack([tr.tlbr for tr in tracks]),
                np.asarray(keypoints)[rows], boxes[rows], np.stack([tr.kp_scores for tr in tracks]),
                np.asarray(kp_scores)[rows])
        return cost

    def _update_track(self, tr: Track, j: int, xyah, feats, keypoints, kp_scores, t: float) -> None:
        m, c = self.kf.update(tr.mean[None], tr.cov[None], xyah[j][None])
        tr.mean, tr.cov = m[0], c[0]
        if feats is not None:
            f = feats[j] if tr.feature is None else (self.params.feature_momentum * tr.feature
                                                     + (1 - self.params.feature_momentum) * feats[j])
            tr.feature = f / max(np.linalg.norm(f), 1e-12)
        if keypoints is not None:
            tr.keypoints = np.asarray(keypoints[j], np.float64)
            tr.kp_scores = None if kp_scores is None else np.asarray(kp_scores[j], np.float64)
        tr.state, tr.activated, tr.last_time, tr.det_index = TRACKED, True, t, int(j)

    def _remove_duplicates(self) -> None:
        if not self.tracked or not self.lost:
            return
        d = iou_distance(np.stack([tr.tlbr for tr in self.tracked]), np.stack([tr.tlbr for tr in self.lost]))
        drop_t, drop_l = set(), set()
        for i, j in zip(*np.nonzero(d < self.params.duplicate_iou_dist)):
            a, b = self.tracked[i], self.lost[j]
            if a.last_time - a.start_time > b.last_time - b.start_time:
                drop_l.add(j)
            else:
                drop_t.add(i)
        self.tracked = [tr for i, tr in enumerate(self.tracked) if i not in drop_t]
        self.lost = [tr for j, tr in enumerate(self.lost) if j not in drop_l]

