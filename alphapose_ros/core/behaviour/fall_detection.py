"""Fall detection on tracked poses: a fast descent of the hips followed by lying.

The rule, per track, on 2D keypoints (pixels, image y down) or 3D keypoints (metres in a level camera's
optical frame, y down; only x and y are used):
1. body height H: the track's running maximum of the shoulder-centre-to-ankle distance while upright
   (torso within 30 degrees of vertical), so speeds are in body heights per second at any distance;
2. descent speed: downward speed of the hip centre over the last `speed_window` seconds, / H;
3. torso angle: angle between the hip-to-shoulder axis and vertical (0 upright, 90 lying);
4. a fall is a descent faster than `min_speed` followed, within `settle_s`, by a torso angle above
   `lying_angle` held for `lying_s`. One event per fall: the track must be upright again before another.
Sitting down (slow, torso upright), bending (torso tilts, hips stay) and lying down slowly (lying, but no
fast descent) do not trigger it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from alphapose_ros.core.skeletons import get_format

_PARTS = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle")


@dataclass(frozen=True)
class FallParams:
    min_speed: float = 0.7        # body heights per second of hip descent (1.2 m/s for 1.75 m)
    speed_window: float = 0.3     # s over which the descent speed is measured
    lying_angle: float = 60.0     # degrees from vertical
    lying_s: float = 0.5          # s the lying posture must last
    settle_s: float = 1.5         # s from the fast descent to lying
    min_score: float = 0.2        # keypoints below this score are not used
    forget_s: float = 5.0         # drop a track's state when unseen this long


@dataclass(frozen=True)
class FallEvent:
    track_id: int
    stamp: float              # image time of the pose message in which the fall was recognised
    fall_start: float         # image time at which the fast descent began
    confidence: float
    descent_speed: float      # body heights / s
    torso_angle_deg: float


@dataclass
class _Track:
    height: float = 0.0
    hips: deque = field(default_factory=deque)      # (t, hip y)
    fast_since: float | None = None                 # start of the last fast descent
    fast_at: float | None = None                    # last time the descent was fast
    peak_speed: float = 0.0
    lying_since: float | None = None
    fallen: bool = False
    last_seen: float = 0.0


def body_axes(points: np.ndarray, scores: np.ndarray, format_name: str, min_score: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per person: hip-centre y, torso angle from vertical (degrees) and shoulder-to-ankle height; NaN
    where the keypoints needed are missing. points (N,K,2+) in a frame with y down."""
    names = get_format(format_name).names
    if not all(n in names for n in _PARTS):
        raise ValueError(f"format {format_name!r} has no shoulders, hips and ankles")
    idx = [names.index(n) for n in _PARTS]
    p = np.asarray(points, np.float64)[:, idx, :2].copy()
    ok = (np.asarray(scores)[:, idx] >= min_score) & np.all(np.isfinite(p), axis=2)
    p[~ok] = np.nan
    with np.errstate(invalid="ignore"):
        sh = np.nanmean(p[:, 0:2], axis=1) if len(p) else np.zeros((0, 2))
        hip = np.nanmean(p[:, 2:4], axis=1) if len(p) else np.zeros((0, 2))
        ank = np.nanmean(p[:, 4:6], axis=1) if len(p) else np.zeros((0, 2))
    axis = sh - hip
    angle = np.degrees(np.arctan2(np.abs(axis[:, 0]), -axis[:, 1]))  # 0 when the shoulders are straight above
    height = np.linalg.norm(sh - ank, axis=1)
    return hip[:, 1], angle, height


class FallDetector:
    """Keeps per-track state; `update` takes one frame's tracked poses and returns the falls it completes."""

    def __init__(self, params: FallParams = FallParams()):
        self.p = params
        self.tracks: dict[int, _Track] = {}

    def reset(self) -> None:
        self.tracks.clear()

    def update(self, t: float, track_ids: np.ndarray, points: np.ndarray, scores: np.ndarray,
               format_name: str) -> list[FallEvent]:
        import warnings

        with warnings.catch_warnings():  # nanmean of a person without shoulders, hips or ankles: NaN, said here
            warnings.simplefilter("ignore", RuntimeWarning)
            hip_y, angle, height = body_axes(points, scores, format_name, self.p.min_score)
        events = []
        for i, tid in enumerate(np.asarray(track_ids, np.int64)):
            if tid < 0:
                continue
            tr = self.tracks.setdefault(int(tid), _Track())
            tr.last_seen = t
            ev = self._step(int(tid), tr, t, hip_y[i], angle[i], height[i])
            if ev is not None:
                events.append(ev)
        for tid in [k for k, tr in self.tracks.items() if t - tr.last_seen > self.p.forget_s or t < tr.last_seen]:
            del self.tracks[tid]
        return events

    def _step(self, tid: int, tr: _Track, t: float, hip_y: float, angle: float, height: float) -> FallEvent | None:
        p = self.p
        upright = np.isfinite(angle) and angle < 30.0
        if upright and np.isfinite(height):
            tr.height = max(tr.height, float(height))
            tr.fallen = False
        if not np.isfinite(hip_y) or tr.height <= 0:
            return None
        tr.hips.append((t, float(hip_y)))
        while tr.hips and t - tr.hips[0][0] > p.speed_window:
            tr.hips.popleft()
        t0, y0 = tr.hips[0]
        speed = (hip_y - y0) / (t - t0) / tr.height if t > t0 else 0.0  # y down: positive when descending
        if speed >= p.min_speed:
            if tr.fast_since is None or (tr.fast_at is not None and t - tr.fast_at > p.settle_s):
                tr.fast_since, tr.peak_speed = t0, 0.0
            tr.fast_at = t
            tr.peak_speed = max(tr.peak_speed, speed)
        lying = np.isfinite(angle) and angle >= p.lying_angle
        tr.lying_since = (tr.lying_since if tr.lying_since is not None else t) if lying else None
        if tr.fallen or tr.fast_at is None or tr.lying_since is None:
            return None
        if tr.lying_since - tr.fast_at > p.settle_s or t - tr.lying_since < p.lying_s:
            return None
        tr.fallen = True
        conf = 0.5 * min(1.0, tr.peak_speed / (2 * p.min_speed)) + 0.5 * min(1.0, angle / 90.0)
        ev = FallEvent(tid, t, float(tr.fast_since), float(conf), float(tr.peak_speed), float(angle))
        tr.fast_since = tr.fast_at = None
        return ev
