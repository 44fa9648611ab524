import numpy as np
import pytest

from alphapose_ros.bench import smoothing
from alphapose_ros.core.tracking.one_euro import METRE_DEFAULTS, OneEuroParams


def test_walking_lag_finds_a_known_shift():
    speed, h = 60.0, 100.0  # px per frame at 10 Hz is 6: 0.6 body heights/s
    track = {}
    for f in range(40):
        raw = np.full((5, 2), speed * 0.1 * f)
        late = np.full((5, 2), speed * 0.1 * (f - 1.25))  # 1.25 frames behind
        track[f] = (raw, late, np.ones(5, bool), h)
    lag, n = smoothing.walking_lag({1: track})
    assert n > 20 and lag == 1.25


def test_3d_scene_jitter_drops_with_the_defaults_and_not_without_smoothing():
    smoothed = smoothing.measure_3d("still", seed=3, params=METRE_DEFAULTS)
    assert smoothed["jitter_mm"] < smoothed["jitter_raw_mm"] / 3
    off = smoothing.measure_3d("still", seed=3, params=OneEuroParams(min_cutoff=1e6, beta=0.0))
    assert off["jitter_mm"] == pytest.approx(smoothed["jitter_raw_mm"], rel=1e-4)
    walking = smoothing.measure_3d("across", seed=3, params=METRE_DEFAULTS)
    assert 0 < walking["lag_frames"] < 1.0 and walking["velocity_error"] < 0.1
