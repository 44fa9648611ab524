"""Fall detection on tracked poses: a fast descent of the hips followed by lying.

The rule, per track, on 2D keypoints (pixels, image y down) or on 3D keypoints with the world's `up` vector
in their frame (metres; (0, -1, 0) in a level camera's optical frame, (0, 0, 1) in a REP-103 frame such as
base_link or map):
1. body height H: the track's running maximum of the shoulder-centre-to-ankle distance while upright
   (torso within 30 degrees of vertical), so speeds are in body heights per second at any distance;
2. descent speed: downward speed of the hip centre over the last `speed_window` seconds, / H;
3. lying: the torso (hip-to-shoulder axis) more than `lying_angle` from vertical -- in 3D against `up`, so
   a body lying along the camera's line of sight counts; in 2D the image angle, or, for a body lying along
   the line of sight (which still looks upright in the image), a torso seen shorter than `foreshortened`
   times its upright length together with a head dropped by `head_drop` body heights or more;
4. a fall is a descent faster than `min_speed` followed, within `settle_s`, by lying held for `lying_s`.
   One event per fall: the track must be upright again before another.
Sitting down (slow, torso upright), bending (torso tilts, hips stay) and lying down slowly (lying, but no
fast descent) do not trigger it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from alphapose_ros.core.skeletons import get_format

_PARTS = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle")
_HEAD = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")


@dataclass(frozen=True)
class FallParams:
    min_speed: float = 0.7        # body heights per second of hip descent (1.2 m/s for 1.75 m)
    speed_window: float = 0.3     # s over which the descent speed is measured
    lying_angle: float = 60.0     # degrees from vertical
    lying_s: float = 0.5          # s the lying posture must last
    settle_s: float = 1.5         # s from the fast descent to lying
    min_score: float = 0.2        # keypoints below this score are not used
    forget_s: float = 5.0         # drop a track's state when unseen this long
    foreshortened: float = 0.55   # 2D: torso seen shorter than this x its upright length ...
    head_drop: float = 0.7        # ... with the head this many body heights below its upright place: lying


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
    upright: deque = field(default_factory=deque)   # (t, torso length, head down) of the last second upright
    fallen: bool = False
    last_seen: float = 0.0


@dataclass(frozen=True)
class BodyAxes:
    """Per person (N,) arrays, NaN where the keypoints needed are missing. `down`: a coordinate that grows
    downwards (image y, or minus the height along `up`)."""

    hip_down: np.ndarray
    angle: np.ndarray        # torso from vertical, degrees
    height: np.ndarray       # shoulder centre to ankle centre
    torso: np.ndarray        # hip centre to shoulder centre
    head_down: np.ndarray


def body_axes(points: np.ndarray, scores: np.ndarray, format_name: str, min_score: float,
              up: np.ndarray | None = None) -> BodyAxes:
    """Body axes of each person; points (N,K,2) in an image (y down), or (N,K,3) with the world's `up`."""
    names = get_format(format_name).names
    if not all(n in names for n in _PARTS):
        raise ValueError(f"format {format_name!r} has no shoulders, hips and ankles")
    head_idx = [names.index(n) for n in _HEAD if n in names]
    idx = [names.index(n) for n in _PARTS] + head_idx
    dims = 3 if up is not None else 2
    p = np.asarray(points, np.float64)[:, idx, :dims].copy()
    ok = (np.asarray(scores)[:, idx] >= min_score) & np.all(np.isfinite(p), axis=2)
    p[~ok] = np.nan
    if up is None:
        down = np.array([0.0, 1.0])
    else:
        down = -np.asarray(up, np.float64) / np.linalg.norm(up)
    mean = (lambda a: np.nanmean(a, axis=1)) if len(p) else (lambda a: np.zeros((0, dims)))
    sh, hip, ank = mean(p[:, 0:2]), mean(p[:, 2:4]), mean(p[:, 4:6])
    head = mean(p[:, 6:]) if head_idx else np.full((len(p), dims), np.nan)
    axis = sh - hip
    torso = np.linalg.norm(axis, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        angle = np.degrees(np.arccos(np.clip(-(axis @ down) / torso, -1.0, 1.0)))  # 0: shoulders straight above
    return BodyAxes(hip @ down, angle, np.linalg.norm(sh - ank, axis=1), torso, head @ down)


class FallDetector:
    """Keeps per-track state; `update` takes one frame's tracked poses and returns the falls it completes."""

    def __init__(self, params: FallParams = FallParams()):
        self.p = params
        self.tracks: dict[int, _Track] = {}

    def reset(self) -> None:
        self.tracks.clear()

    def update(self, t: float, track_ids: np.ndarray, points: np.ndarray, scores: np.ndarray,
               format_name: str, up: np.ndarray | None = None) -> list[FallEvent]:
        """Falls completed in this frame; `points` (N,K,2) pixels, or (N,K,3) metres with the world's `up`
        vector in their frame."""
        import warnings

        with warnings.catch_warnings():  # nanmean of a person without shoulders, hips or ankles: NaN, said here
            warnings.simplefilter("ignore", RuntimeWarning)
            axes = body_axes(points, scores, format_name, self.p.min_score, up)
        events = []
        for i, tid in enumerate(np.asarray(track_ids, np.int64)):
            if tid < 0:
                continue
            tr = self.tracks.setdefault(int(tid), _Track())
            tr.last_seen = t
            ev = self._step(int(tid), tr, t, axes, i)
            if ev is not None:
                events.append(ev)
        for tid in [k for k, tr in self.tracks.items() if t - tr.last_seen > self.p.forget_s or t < tr.last_seen]:
            del self.tracks[tid]
        return events

    def _step(self, tid: int, tr: _Track, t: float, axes: BodyAxes, i: int) -> FallEvent | None:
        p = self.p
        hip_y, angle, height = axes.hip_down[i], axes.angle[i], axes.height[i]
        # upright: torso near vertical and not much shorter than in the last second upright (a body falling
        # along the line of sight keeps a vertical torso in the image, but a short one)
        ref_torso = max((u[1] for u in tr.upright), default=0.0)
        ref_head = min((u[2] for u in tr.upright), default=np.nan)  # the highest head of that second
        upright = np.isfinite(angle) and angle < 30.0 and not axes.torso[i] < 0.8 * ref_torso
        if upright and np.isfinite(height):
            tr.height = max(tr.height, float(height))
            tr.fallen = False
        if upright and np.isfinite(axes.torso[i]) and np.isfinite(axes.head_down[i]):
            tr.upright.append((t, float(axes.torso[i]), float(axes.head_down[i])))
            while len(tr.upright) > 1 and t - tr.upright[0][0] > 1.0:  # the last entry stays: the reference
                tr.upright.popleft()
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
        tilted = np.isfinite(angle) and angle >= p.lying_angle
        along_sight = ref_torso > 0 and axes.torso[i] < p.foreshortened * ref_torso  # vertical in the image, short
        head_down = (axes.head_down[i] - ref_head) / tr.height >= p.head_drop  # not a squat: the head is down too
        lying = bool((tilted or along_sight) and head_down)
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
