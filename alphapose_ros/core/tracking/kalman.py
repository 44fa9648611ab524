"""Constant-velocity Kalman filter on person boxes, state (cx, cy, a=w/h, h) + velocities.

Noise scales with the box height (position weight 1/20, velocity weight 1/160), the
tuning AlphaPose's tracker uses. All operations take stacks of tracks at once.
`dt` is in frames by default; the tracker passes elapsed image time in frame units.
"""
from __future__ import annotations

import numpy as np

# chi-square 0.95 quantiles for 1..9 degrees of freedom (gating thresholds)
CHI2INV95 = np.array([3.8415, 5.9915, 7.8147, 9.4877, 11.070, 12.592, 14.067, 15.507, 16.919])


class KalmanFilter:
    def __init__(self, std_weight_position: float = 1 / 20, std_weight_velocity: float = 1 / 160):
        self.wp = std_weight_position
        self.wv = std_weight_velocity
        self.H = np.hstack([np.eye(4), np.zeros((4, 4))])

    def _motion(self, dt: float) -> np.ndarray:
        f = np.eye(8)
        f[:4, 4:] = np.eye(4) * dt
        return f

    def initiate(self, xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means (N,8) and covariances (N,8,8) for new tracks from measurements (N,4)."""
        z = np.atleast_2d(np.asarray(xyah, np.float64))
        h = z[:, 3]
        std = np.stack([2 * self.wp * h, 2 * self.wp * h, np.full_like(h, 1e-2), 2 * self.wp * h,
                        10 * self.wv * h, 10 * self.wv * h, np.full_like(h, 1e-5), 10 * self.wv * h], 1)
        mean = np.hstack([z, np.zeros_like(z)])
        return mean, _diag(std ** 2)

    def predict(self, mean: np.ndarray, cov: np.ndarray, dt: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """One step ahead for every track (mean (N,8), cov (N,8,8))."""
        mean = np.atleast_2d(mean)
        cov = cov.reshape(-1, 8, 8)
        h = mean[:, 3]
        std = np.stack([self.wp * h, self.wp * h, np.full_like(h, 1e-2), self.wp * h,
                        self.wv * h, self.wv * h, np.full_like(h, 1e-5), self.wv * h], 1)
        f = self._motion(dt)
        return mean @ f.T, f @ cov @ f.T + _diag(std ** 2)

    def project(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predicted measurement (N,4) and its covariance (N,4,4), measurement noise included."""
        mean = np.atleast_2d(mean)
        h = mean[:, 3]
        std = np.stack([self.wp * h, self.wp * h, np.full_like(h, 1e-1), self.wp * h], 1)
        return mean[:, :4], self.H @ cov.reshape(-1, 8, 8) @ self.H.T + _diag(std ** 2)

    def update(self, mean: np.ndarray, cov: np.ndarray, xyah: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Correct each track (N) with its measurement (N,4)."""
        mean = np.atleast_2d(mean)
        cov = cov.reshape(-1, 8, 8)
        z_mean, s = self.project(mean, cov)
        pht = cov @ self.H.T  # (N,8,4)
        gain = np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)  # P H^T S^-1 (S symmetric)
        innov = np.atleast_2d(xyah) - z_mean
        new_mean = mean + (gain @ innov[..., None])[..., 0]
        new_cov = cov - gain @ s @ gain.transpose(0, 2, 1)
        return new_mean, new_cov

    def gating_distance(self, mean: np.ndarray, cov: np.ndarray, xyah: np.ndarray, only_position: bool = False,
                        metric: str = "maha") -> np.ndarray:
        """Squared distance (M,) of measurements (M,4) to one track's predicted measurement."""
        z, s = self.project(mean, cov)
        z, s = z[0], s[0]
        m = np.atleast_2d(np.asarray(xyah, np.float64))
        if only_position:
            z, s, m = z[:2], s[:2, :2], m[:, :2]
        d = m - z
        if metric == "gaussian":
            return (d * d).sum(1)
        if metric != "maha":
            raise ValueError(f"unknown gating metric {metric!r}")
        lower = np.linalg.cholesky(s)
        y = np.linalg.solve(lower, d.T)
        return (y * y).sum(0)


def _diag(v: np.ndarray) -> np.ndarray:
    out = np.zeros(v.shape + (v.shape[-1],))
    idx = np.arange(v.shape[-1])
    out[..., idx, idx] = v
    return out


def tlbr_to_xyah(b: np.ndarray) -> np.ndarray:
    b = np.atleast_2d(np.asarray(b, np.float64))
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, w / np.maximum(h, 1e-9), h], 1)


def xyah_to_tlbr(x: np.ndarray) -> np.ndarray:
    x = np.atleast_2d(x)
    w = x[:, 2] * x[:, 3]
    return np.stack([x[:, 0] - w / 2, x[:, 1] - x[:, 3] / 2, x[:, 0] + w / 2, x[:, 1] + x[:, 3] / 2], 1)
