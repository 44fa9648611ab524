"""One-Euro filter (Casiez et al., CHI 2012) per track and keypoint: steady keypoints for a still person,
little lag for a moving one, and each keypoint's velocity (the filter's derivative) as a by-product.

For each value x at image time t: dx = (x - x_prev) / dt (x_prev the last raw value) is low-passed with cutoff `d_cutoff`; the value is
low-passed with cutoff `min_cutoff + beta * |dx|` (Hz), where |dx| is the speed of the point (the norm
over its coordinates, so the filter does not depend on the axes). A first-order low-pass with cutoff fc
over a step dt has the weight a = 1 / (1 + 1 / (2 pi fc dt)).

`TrackSmoother` keeps one filter state per track ID and keypoint. A state starts over (the raw value, zero
velocity) when its track is new or is re-found after more than `max_gap` seconds, when the keypoint was
invalid (NaN or below `min_score`) for longer than that, and when image time goes back. Invalid keypoints
pass through unchanged and leave their state alone; a jump faster than `max_speed` is held out as NaN. Vectorised over keypoints; one small loop over people.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from alphapose_ros.core.poses import PoseSet


@dataclass(frozen=True)
class OneEuroParams:
    """min_cutoff (Hz): smoothing of a still point; beta (Hz per unit/s): how fast the cutoff rises with
    speed (speed in units of the values per second, divided by the update's `scale`: body heights per
    second in 2D, m/s in 3D); d_cutoff (Hz): smoothing of the speed estimate;
    max_gap (s): a track or keypoint unseen longer than this starts over; max_speed (same units as beta's
    speed): a value that moved faster than this since the last is an outlier (a 3D point on the wall behind
    the person) and comes out NaN; if the jumps go on for max_gap, the keypoint starts over where it now is."""

    min_cutoff: float = 0.2
    beta: float = 3.0
    d_cutoff: float = 1.0
    max_gap: float = 0.5
    max_speed: float = np.inf


# Defaults chosen on development data only (bench/smoothing.py --split dev: vtest frames 400-794 and two
# still frames; RGB-D scenes of seed 1); the reported figures come from the other half.
PIXEL_DEFAULTS = OneEuroParams(min_cutoff=0.1, beta=3.0, d_cutoff=1.0, max_gap=0.5)
MIN_SCORE = 0.1  # 2D keypoints scored below this are passed on raw (and leave their filter alone)
METRE_DEFAULTS = OneEuroParams(min_cutoff=0.1, beta=5.0, d_cutoff=1.0, max_gap=0.5, max_speed=10.0)


def smoothing_weight(cutoff: np.ndarray | float, dt: np.ndarray | float) -> np.ndarray:
    """Weight of the new sample in a first-order low-pass of `cutoff` Hz over a step of `dt` s."""
    return 1.0 / (1.0 + 1.0 / (2.0 * np.pi * np.asarray(cutoff, np.float64) * np.asarray(dt, np.float64)))


@dataclass
class _State:
    value: np.ndarray   # (K,D) filtered values
    raw: np.ndarray     # (K,D) last valid raw values (the speed is taken from them, as in the authors' code)
    speed: np.ndarray   # (K,D) filtered derivative (units/s)
    seen: np.ndarray    # (K,) image time of each keypoint's last valid value (-inf: never)
    last: float         # image time of the track's last update


class TrackSmoother:
    """One-Euro filters for every (track ID, keypoint) of a stream of (N,K,D) arrays."""

    def __init__(self, params: OneEuroParams = OneEuroParams()):
        self.params = params
        self.tracks: dict[int, _State] = {}
        self._t: float | None = None

    def reset(self) -> None:
        self.tracks.clear()
        self._t = None

    def update(self, t: float, track_ids: np.ndarray, values: np.ndarray, valid: np.ndarray | None = None,
               scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Filtered values (N,K,D) and their velocities (N,K,D, units/s; NaN where invalid or untracked)
        for the people of one frame at image time `t`. Rows with a negative track ID pass through. `scale`
        (N,) divides the speed that raises the cutoff: the box height in 2D, so `beta` is per body height
        per second and a near person (big in the image) is filtered like a far one."""
        values = np.asarray(values, np.float64)
        n, k = values.shape[:2]
        scale = np.ones(n) if scale is None else np.maximum(np.asarray(scale, np.float64).reshape(n), 1e-9)
        valid = np.isfinite(values).all(-1) if valid is None else np.asarray(valid, bool) & np.isfinite(values).all(-1)
        if self._t is not None and t < self._t:
            self.tracks.clear()  # image time went back (a bag restarted): every track starts over
        self._t = t
        out = values.copy()
        vel = np.full_like(values, np.nan)
        p = self.params
        for i in range(n):
            tid = int(track_ids[i])
            if tid < 0:
                continue
            s = self.tracks.get(tid)
            if s is None or t - s.last > p.max_gap:
                s = self.tracks[tid] = _State(values[i].copy(), values[i].copy(), np.zeros_like(values[i]),
                                              np.full(k, -np.inf), t)
            x, ok = values[i], valid[i]
            fresh = ok & (t - s.seen > p.max_gap)       # first valid value, or back after a long gap
            dt = np.maximum(t - s.seen, 1e-6)[:, None]  # per keypoint: since its last valid value
            raw_speed = (x - s.raw) / dt
            jump = ok & ~fresh & (np.linalg.norm(raw_speed, axis=-1) / scale[i] > p.max_speed)
            step = ok & ~fresh & ~jump
            a_d = smoothing_weight(p.d_cutoff, dt)
            speed = s.speed + a_d * (raw_speed - s.speed)
            cutoff = p.min_cutoff + p.beta / scale[i] * np.linalg.norm(speed, axis=-1, keepdims=True)
            value = s.value + smoothing_weight(cutoff, dt) * (x - s.value)
            s.value[step], s.speed[step] = value[step], speed[step]
            s.value[fresh], s.speed[fresh] = x[fresh], 0.0
            kept = ok & ~jump
            s.raw[kept], s.seen[kept] = x[kept], t
            s.last = t
            out[i][kept] = s.value[kept]
            out[i][jump] = np.nan
            vel[i][kept] = s.speed[kept]
        self.tracks = {tid: s for tid, s in self.tracks.items() if t - s.last <= p.max_gap}
        return out, vel


def smooth_keypoints_2d(smoother: TrackSmoother, t: float, poses: PoseSet, min_score: float) -> PoseSet:
    """The poses with their pixel keypoints filtered per track (keypoints below `min_score` stay raw);
    the speed that opens the filter is measured in box heights per second."""
    if len(poses) == 0:
        return poses
    xy, _ = smoother.update(t, poses.track_ids, poses.keypoints, poses.keypoint_scores >= min_score,
                            poses.boxes[:, 3] - poses.boxes[:, 1])
    return replace(poses, keypoints=xy.astype(np.float32))


def smooth_keypoints_3d(keypoints: TrackSmoother, positions: TrackSmoother, t: float, poses: PoseSet) -> PoseSet:
    """The poses with 3D keypoints and positions filtered per track, and their velocities (m/s) set.
    NaN points (no depth) stay NaN; poses without 3D pass unchanged."""
    if poses.keypoints_3d is None:
        return poses
    xyz, vel3 = keypoints.update(t, poses.track_ids, poses.keypoints_3d)
    pos, vel = positions.update(t, poses.track_ids, poses.positions[:, None, :])
    return replace(poses, keypoints_3d=xyz, positions=pos[:, 0], velocities_3d=vel3, velocities=vel[:, 0])
