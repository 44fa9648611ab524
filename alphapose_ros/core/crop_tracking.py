"""Crops from the last poses: between detector runs each person's next crop comes from its last pose.

A detector is the slow, short-sighted part of a top-down system on a CPU: it costs more than the pose
network on a few people and misses small or grouped people that the pose network, once given a crop,
finds well. So, as MediaPipe's pose tracking does, a person found once is followed by their poses: the
next crop is the last pose's keypoint extent, grown and moved by the crop's velocity, and the detector
only has to find people who are new. A crop whose pose scores low has lost its person and is dropped;
a detector box whose pose scores low was no person (with `confirm_frames` 2, also one whose crop does
not hold a person on the next frame: a passing false alarm). New boxes get crops a few per frame (the surest
first, the rest waiting for the next frames), so a detector run costs the pose stage a bounded extra
on any one frame: at a low threshold a detector returns many boxes, most of them no new person.
On a detector frame a followed crop that a detector box pairs with (one to one, by IoU) is cut from
that box instead: a crop that drifted onto a neighbour, or grew over two people walking together,
is put back on one person, and the neighbour's own box becomes a new person's crop.
Live, the detector's boxes are from an older image (its run time late): they are paired with where the
followed people were then, and a new person's box is posed on that image (kept in `RecentFrames`) and
followed through the frames since (core.pipeline.pose_followed_people), since a walker has moved a body
width away from it by now.
Every decision here depends on the frames alone (never on wall-clock time), so offline runs are
repeatable.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphapose_ros.core.detectors.nms import nms
from alphapose_ros.core.tracking.matching import greedy_iou_pairs, iou_matrix


@dataclass(frozen=True)
class CropTrackingSettings:
    """How crops follow poses, and when the detector runs."""

    detect_every: int = 2         # frames between scheduled detector runs (1 = every frame); a shorter period
                                  # finds new people sooner: 2 is the shortest that keeps hog-small + MediaPipe
                                  # over vtest at >= 10 frames/s on 2 cores (bench.real_people, alphapose-infer)
    grow: float = 0.15            # the keypoint extent grown by this fraction of its size on every side
    min_keypoint_score: float = 0.3   # keypoints at or above it make the extent
    keep_score: float = 0.3       # a followed crop whose pose scores below it has lost its person
    accept_score: float = 0.3     # a detector box whose pose scores below it is no person
    same_person_iou: float = 0.4  # a detector box overlapping a followed crop this much is that person
    velocity_smoothing: float = 0.5   # weight of the newest displacement in the crop velocity
    min_aspect: float = 0.4       # a followed crop's sides are at least this x each other (person-shaped)
    new_per_frame: int = 2        # detector boxes given crops per frame (the rest wait); 0: all at once
    confirm_frames: int = 1       # a new person counts once their crop has held them this many frames (2: one
                                  # frame later, no one-frame false alarms; the dev split lost recall with 2)
    reanchor: bool = True         # on detector frames, followed crops paired with a detector box use that box
    reanchor_lag: float = 0.5     # live: boxes from an image older than this (s) do not move followed crops (their
                                  # velocity over that long misplaces a crop more than following the poses does)

    def __post_init__(self) -> None:
        if self.detect_every < 1:
            raise ValueError(f"detect_every must be >= 1, got {self.detect_every}")
        if self.new_per_frame < 0:
            raise ValueError(f"new_per_frame must be >= 0, got {self.new_per_frame}")
        if self.confirm_frames < 1:
            raise ValueError(f"confirm_frames must be >= 1, got {self.confirm_frames}")
        if not 0.0 <= self.reanchor_lag <= 10.0:
            raise ValueError(f"reanchor_lag out of range: {self.reanchor_lag}")
        for name in ("grow", "min_keypoint_score", "keep_score", "accept_score", "same_person_iou",
                     "velocity_smoothing", "min_aspect"):
            v = getattr(self, name)
            if not 0.0 <= v <= (3.0 if name == "grow" else 1.0):
                raise ValueError(f"{name} out of range: {v}")


def pose_boxes(keypoints: np.ndarray, scores: np.ndarray, min_score: float, grow: float,
               min_aspect: float = 0.0) -> np.ndarray:
    """(N,4) boxes around each pose's keypoints scoring >= min_score, grown by `grow` x their size on every
    side, then widened (or heightened) about their centre until each side is at least `min_aspect` x the
    other; NaN rows where fewer than two keypoints qualify or they span under 2 px either way (no crop
    can be cut from that)."""
    ok = scores >= min_score
    big = np.float32(1e9)
    lo = np.where(ok[..., None], keypoints, big).min(1)
    hi = np.where(ok[..., None], keypoints, -big).max(1)
    size = hi - lo
    grown = size * (1 + 2 * grow)
    # a person walking across the view has keypoints in a thin column: their box is still person-shaped
    want = np.maximum(grown, min_aspect * grown[:, ::-1])
    centre = (lo + hi) / 2
    out = np.concatenate([centre - want / 2, centre + want / 2], 1).astype(np.float32)
    out[(ok.sum(1) < 2) | (size < 2).any(1)] = np.nan
    return out


def pose_confidence(scores: np.ndarray) -> np.ndarray:
    """(N,) how surely a crop holds a person: the mean score of its keypoints, counting only keypoints the
    model scores at all (formats with unscored points, such as MediaPipe's head top, are not penalised)."""
    scored = scores > 0
    return np.where(scored, scores, 0).sum(1) / np.maximum(scored.sum(1), 1)


class CropTracker:
    """Per-stream state: the crops being followed, their velocities, and the detector schedule."""

    def __init__(self, settings: CropTrackingSettings = CropTrackingSettings()):
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        """Forget every followed crop: the next frame's people come from the detector alone."""
        self.boxes = np.zeros((0, 4), np.float32)
        self.velocity = np.zeros((0, 4), np.float32)  # px per second, per box side
        self.age = np.zeros(0, np.int64)  # frames each followed crop has held its person
        self.t: float | None = None
        self.detected_last = False  # the last update's frame was detected
        self.lost = False  # a followed crop lost its person at the last update
        self.waiting = np.zeros((0, 5), np.float32)  # detector boxes + scores not given a crop yet
        self.waiting_t: float | None = None  # the time of the image they were detected in (None: unknown)

    def __len__(self) -> int:
        return len(self.boxes)

    def scheduled(self, frame_index: int) -> bool:
        """Whether the detector's schedule runs it on this frame (frame count only: repeatable offline)."""
        return frame_index % self.settings.detect_every == 0

    def needs_detection(self) -> bool:
        """Whether the next frame must be detected regardless of the schedule: nobody followed, or
        someone just lost (the detector finds them again at once; not on two frames running)."""
        return (len(self.boxes) == 0 or self.lost) and not self.detected_last and not len(self.waiting)

    def predicted(self, t: float) -> np.ndarray:
        """The followed crops moved by their velocities to time `t`."""
        dt = 0.0 if self.t is None else max(0.0, float(t) - self.t)
        return (self.boxes + self.velocity * dt).astype(np.float32)

    def proposals(self, t: float, det_boxes: np.ndarray | None = None, det_scores: np.ndarray | None = None,
                  det_t: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Crops for the frame at `t`: the followed ones, then up to `new_per_frame` detector boxes of people
        not followed, surest first (`det_boxes` None: the boxes still waiting from the last detector run;
        a new run replaces them, and with `reanchor` cuts the crops of the followed people it pairs with;
        `det_t`: the time of the image it ran on, when older than `t` (live: the detector lags), so a crop is
        paired where its person was then and, up to `reanchor_lag` old, cut from the box moved on by the
        crop's velocity; `waiting_t` keeps it for the boxes handed out later).
        Returns boxes (M,4), scores (M,) and `followed` (M,) marking the followed crops. Call once per frame,
        before `update`: the boxes it hands out stop waiting."""
        tracked = self.predicted(t)
        s = self.settings
        lag = 0.0
        if det_boxes is not None:
            self.waiting = np.concatenate([np.asarray(det_boxes, np.float32).reshape(-1, 4),
                                           np.asarray(det_scores, np.float32).reshape(-1, 1)], 1)
            self.waiting_t = None if det_t is None else float(det_t)
            lag = 0.0 if det_t is None else max(0.0, float(t) - float(det_t))
        cand = self.waiting
        then = tracked - self.velocity * lag  # where the followed people were on the detector's image
        if det_boxes is not None and s.reanchor and lag <= s.reanchor_lag and len(tracked) and len(cand):
            pairs = greedy_iou_pairs(then, cand[:, :4], s.same_person_iou)
            if pairs:  # the detector puts a drifted crop back on its person
                rows, cols = np.array(pairs).T
                then[rows] = cand[cols, :4]
                tracked[rows] = cand[cols, :4] + self.velocity[rows] * lag
                cand = np.delete(cand, cols, 0)
        if len(tracked) and len(cand):  # boxes on someone followed (then, or meanwhile) are that person
            near = iou_matrix(cand[:, :4], tracked, plus_one=False).max(1)
            if lag > 0:  # `then` differs from `tracked` only for boxes from an older image
                near = np.maximum(near, iou_matrix(cand[:, :4], then, plus_one=False).max(1))
            cand = cand[near < s.same_person_iou]
        cand = cand[np.argsort(-cand[:, 4], kind="stable")]
        k = s.new_per_frame or len(cand)
        now, self.waiting = cand[:k], cand[k:]
        boxes = np.concatenate([tracked, now[:, :4]])
        scores = np.concatenate([np.ones(len(tracked), np.float32), now[:, 4]])
        return boxes, scores, np.arange(len(boxes)) < len(tracked)

    def update(self, t: float, crops: np.ndarray, followed: np.ndarray, keypoints: np.ndarray,
               keypoint_scores: np.ndarray, detected: bool) -> np.ndarray:
        """Take the poses found in `crops` (from `proposals`) at time `t`; returns which poses are people
        (a bool mask over the rows): those held for `confirm_frames` frames. Every pose scoring well enough
        is followed into the next frame, confirmed or not."""
        s = self.settings
        conf = pose_confidence(keypoint_scores)
        nxt = pose_boxes(keypoints, keypoint_scores, s.min_keypoint_score, s.grow, s.min_aspect)
        valid = np.isfinite(nxt).all(1)
        keep = valid & (conf >= np.where(followed, s.keep_score, s.accept_score))
        age = np.zeros(len(crops), np.int64)
        rows = np.flatnonzero(followed)  # the first rows, in the order of self.boxes
        prev = self.age[:len(rows)]  # crops followed without a history here count as confirmed
        age[rows] = np.concatenate([prev, np.full(len(rows) - len(prev), s.confirm_frames, np.int64)])
        # lost: a followed person who is gone (not a crop that merely converged on someone kept, nor an
        # unconfirmed one: that was a false alarm)
        self.lost = bool((followed & ~keep & (age >= s.confirm_frames)).any())
        if keep.any():  # two crops that converged on one person: the surer one stays
            idx = np.flatnonzero(keep)
            winners = idx[nms(nxt[idx], conf[idx] + (age[idx] >= s.confirm_frames), s.same_person_iou)]
            keep[:] = False
            keep[winners] = True
        dt = 0.0 if self.t is None else float(t) - self.t
        velocity = np.zeros((len(crops), 4), np.float32)
        if dt > 0 and len(rows):  # the displacement of a followed crop, smoothed with its old velocity
            a = s.velocity_smoothing
            measured = (nxt[rows] - self.boxes[rows]) / dt
            velocity[rows] = a * measured + (1 - a) * self.velocity[rows]
        self.boxes = nxt[keep]
        self.velocity = np.nan_to_num(velocity[keep])
        self.age = age[keep] + 1
        self.t = float(t)
        self.detected_last = detected
        return keep & (age + 1 >= s.confirm_frames)


def detection_interval(min_interval: float, last_run_s: float, max_duty: float) -> float:
    """Live: the image time to leave between detector runs: `min_interval`, or longer when the last run took
    so long that the detector would be busy more than `max_duty` of the time (a large camera, a busy CPU),
    so that the pose stage, which answers every frame, keeps its share of the CPU. max_duty 1: no cap."""
    if not 0.0 < max_duty <= 1.0:
        raise ValueError(f"max_duty must be in (0, 1], got {max_duty}")
    return max(float(min_interval), float(last_run_s) / max_duty)


class RecentFrames:
    """The last images the pose stage answered, kept at least `spacing` s apart for `max_age` s, so boxes from
    a lagging detector can be posed on (nearly) the image they were found in (live crop tracking). Every
    frame of a 10 Hz camera kept (0.1 s): a new person posed on their own image, not one up to 0.1 s off, is
    found more often (the first 9 dev frames, boxes 0.3 s late: 116 vs 112 of 156 people)."""

    def __init__(self, max_age: float = 1.5, spacing: float = 0.1, max_frames: int = 16):
        if not (max_age > 0 and spacing >= 0 and max_frames >= 1):
            raise ValueError(f"RecentFrames: max_age > 0, spacing >= 0, max_frames >= 1, got "
                             f"{max_age}, {spacing}, {max_frames}")
        self.max_age, self.spacing, self.max_frames = max_age, spacing, max_frames
        self.frames: list[tuple[float, np.ndarray]] = []

    def add(self, t: float, image: np.ndarray) -> None:
        """Keep `image` (time `t`) when it is `spacing` after the last one kept; time going back (a bag
        looping) forgets the others."""
        t = float(t)
        if self.frames and t < self.frames[-1][0]:
            self.frames.clear()
        if self.frames and t - self.frames[-1][0] < self.spacing - 1e-6:
            return
        self.frames.append((t, image))
        self.frames = [f for f in self.frames if f[0] >= t - self.max_age][-self.max_frames:]

    def since(self, t: float) -> list[tuple[float, np.ndarray]]:
        """The kept frame nearest `t` and every later one; [] when none is within `spacing` of it (too old)."""
        if not self.frames:
            return []
        times = np.array([f[0] for f in self.frames])
        i = int(np.argmin(np.abs(times - t)))
        return self.frames[i:] if abs(times[i] - t) <= max(self.spacing, 1e-6) else []
