import numpy as np
import pytest

from alphapose_ros.core.tracking.one_euro import OneEuroParams, TrackSmoother, smoothing_weight

DT = 0.1


def run(smoother, values, ids=(1,), valid=None, t0=0.0):
    outs, vels = [], []
    for f, v in enumerate(values):
        o, d = smoother.update(t0 + f * DT, np.array(ids), v, None if valid is None else valid[f])
        outs.append(o)
        vels.append(d)
    return np.array(outs), np.array(vels)


def test_a_still_noisy_point_is_steadied_by_the_low_pass_factor():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 2.0, (4000, 1, 17, 2))
    out, _ = run(TrackSmoother(OneEuroParams(min_cutoff=0.3, beta=0.0)), 100.0 + noise)
    a = smoothing_weight(0.3, DT)
    expected = np.sqrt(a / (2 - a))  # std of an exponential average of white noise, relative
    ratio = out[200:].std() / noise[200:].std()
    assert ratio == pytest.approx(expected, rel=0.05)
    assert ratio < 1 / 3


def test_without_beta_a_ramp_lags_by_the_exponential_average_steady_state():
    speed = 50.0  # px/s
    ramp = (np.arange(200) * DT * speed)[:, None, None, None] * np.ones((1, 1, 3, 2))
    out, vel = run(TrackSmoother(OneEuroParams(min_cutoff=1.0, beta=0.0, d_cutoff=1.0)), ramp)
    a = smoothing_weight(1.0, DT)
    assert (ramp[-1] - out[-1]) == pytest.approx(speed * DT * (1 - a) / a, rel=1e-6)
    assert vel[-1] == pytest.approx(speed, rel=1e-6)  # the derivative is the point's velocity


def test_beta_cuts_the_lag_of_a_moving_point():
    speed = 50.0
    ramp = (np.arange(100) * DT * speed)[:, None, None, None] * np.ones((1, 1, 1, 2))
    lag = {b: (ramp[-1] - run(TrackSmoother(OneEuroParams(min_cutoff=0.5, beta=b)), ramp)[0][-1]).max()
           for b in (0.0, 0.1)}
    assert lag[0.1] < lag[0.0] / 4


def test_velocity_norm_makes_the_filter_independent_of_the_axes():
    rng = np.random.default_rng(1)
    path = np.cumsum(rng.normal(0, 3, (60, 1, 4, 2)), 0)
    c, s = np.cos(0.7), np.sin(0.7)
    rot = np.array([[c, -s], [s, c]])
    p = OneEuroParams(min_cutoff=0.5, beta=0.05)
    out, _ = run(TrackSmoother(p), path)
    out_rot, _ = run(TrackSmoother(p), path @ rot.T)
    np.testing.assert_allclose(out @ rot.T, out_rot, atol=1e-9)


def test_a_new_track_starts_at_its_raw_value_with_zero_velocity():
    sm = TrackSmoother(OneEuroParams(min_cutoff=0.5))
    sm.update(0.0, np.array([1]), np.full((1, 2, 2), 10.0))
    out, vel = sm.update(DT, np.array([1, 2]), np.array([np.full((2, 2), 20.0), np.full((2, 2), 500.0)]))
    assert np.all(out[0] > 10) and np.all(out[0] < 20)
    np.testing.assert_array_equal(out[1], 500.0)
    np.testing.assert_array_equal(vel[1], 0.0)


def test_a_track_refound_after_the_gap_starts_over():
    sm = TrackSmoother(OneEuroParams(min_cutoff=0.5, max_gap=0.5))
    sm.update(0.0, np.array([7]), np.zeros((1, 1, 2)))
    out, _ = sm.update(0.4, np.array([7]), np.full((1, 1, 2), 100.0))
    assert 0 < out[0, 0, 0] < 100  # within the gap: filtered
    out, _ = sm.update(1.0, np.array([7]), np.full((1, 1, 2), 300.0))
    assert out[0, 0, 0] == 300.0  # 0.6 s unseen: starts over
    assert 7 in sm.tracks


def test_invalid_keypoints_pass_through_and_leave_their_state():
    sm = TrackSmoother(OneEuroParams(min_cutoff=0.5, max_gap=1.0))
    v = np.zeros((1, 2, 2))
    sm.update(0.0, np.array([1]), v)
    bad = v.copy()
    bad[0, 1] = np.nan
    out, vel = sm.update(DT, np.array([1]), bad)
    assert np.isnan(out[0, 1]).all() and np.isnan(vel[0, 1]).all()
    low = np.full((1, 2, 2), 50.0)
    out, _ = sm.update(2 * DT, np.array([1]), low, valid=np.array([[True, False]]))
    np.testing.assert_array_equal(out[0, 1], 50.0)       # below the score: raw, untouched
    assert sm.tracks[1].value[1].tolist() == [0.0, 0.0]  # its state kept from t = 0
    assert 0 < out[0, 0, 0] < 50


def test_untracked_rows_pass_through_and_time_going_back_starts_over():
    sm = TrackSmoother(OneEuroParams(min_cutoff=0.5))
    sm.update(0.0, np.array([1]), np.zeros((1, 1, 2)))
    out, vel = sm.update(DT, np.array([-1, 1]), np.full((2, 1, 2), 100.0))
    assert out[0, 0, 0] == 100.0 and np.isnan(vel[0]).all()
    assert out[1, 0, 0] < 100.0
    out, _ = sm.update(0.0, np.array([1]), np.full((1, 1, 2), 100.0))  # a bag restarted
    assert out[0, 0, 0] == 100.0


def test_a_jump_faster_than_max_speed_is_held_out_until_it_lasts_max_gap():
    sm = TrackSmoother(OneEuroParams(min_cutoff=0.5, max_gap=0.35, max_speed=10.0))
    sm.update(0.0, np.array([1]), np.full((1, 2, 3), 2.0))
    wall = np.full((1, 2, 3), 2.0)
    wall[0, 0] = 7.0  # the first keypoint's depth lands on the wall behind: 5 m in 0.1 s
    out, vel = sm.update(DT, np.array([1]), wall)
    assert np.isnan(out[0, 0]).all() and np.isnan(vel[0, 0]).all()
    np.testing.assert_allclose(out[0, 1], 2.0)
    out, _ = sm.update(2 * DT, np.array([1]), np.full((1, 2, 3), 2.01))
    assert np.all(np.abs(out[0] - 2.0) < 0.01)  # back on the person: filtered from the old state
    for f in range(3, 7):
        out, _ = sm.update(f * DT, np.array([1]), wall)
    np.testing.assert_allclose(out[0, 0], 7.0)  # it lasted longer than max_gap: a real move, started over


def test_scale_makes_the_filter_open_by_body_heights_per_second():
    ramp = (np.arange(30) * DT * 50.0)[:, None, None, None] * np.ones((1, 1, 1, 2))
    p = OneEuroParams(min_cutoff=0.1, beta=3.0)
    small = TrackSmoother(p)
    big = TrackSmoother(p)
    for f, v in enumerate(ramp):  # the same motion in body heights: 50 px/s at 100 px, 250 px/s at 500 px
        a, _ = small.update(f * DT, np.array([1]), v, scale=np.array([100.0]))
        b, _ = big.update(f * DT, np.array([1]), 5 * v, scale=np.array([500.0]))
    np.testing.assert_allclose(b, 5 * a, rtol=1e-9)
