"""The Kalman filter reproduces AlphaPose's tracker filter (kalman.npz)."""
import numpy as np
import pytest

from alphapose_ros.core.tracking.kalman import CHI2INV95, KalmanFilter, tlbr_to_xyah, xyah_to_tlbr

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def d(reference):
    return np.load(reference / "vectors/tracking/kalman.npz")


def test_initiate_predict_update(d):
    kf = KalmanFilter()
    m, c = kf.initiate(d["in_measurements_xyah"])
    np.testing.assert_allclose(m, d["out_initiate_mean"], rtol=1e-12)
    np.testing.assert_allclose(c, d["out_initiate_cov"], rtol=1e-12, atol=1e-12)
    m, c = kf.predict(m, c)
    np.testing.assert_allclose(m, d["out_predict_mean"], rtol=1e-12)
    np.testing.assert_allclose(c, d["out_predict_cov"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c, d["out_multi_predict_cov"], rtol=1e-12, atol=1e-12)
    m2, c2 = kf.update(m, c, d["in_update_measurements_xyah"])
    np.testing.assert_allclose(m2, d["out_update_mean"], rtol=1e-9)
    np.testing.assert_allclose(c2, d["out_update_cov"], rtol=1e-9, atol=1e-9)
    for i in range(3):
        args = (m[i:i + 1], c[i], d["in_gating_candidates_xyah"])
        np.testing.assert_allclose(kf.gating_distance(*args), d["out_gating_maha_full"][i], rtol=1e-9)
        np.testing.assert_allclose(kf.gating_distance(*args, only_position=True), d["out_gating_maha_pos_only"][i],
                                   rtol=1e-9)
        np.testing.assert_allclose(kf.gating_distance(*args, metric="gaussian"), d["out_gating_gaussian_full"][i],
                                   rtol=1e-9)
    np.testing.assert_allclose(CHI2INV95, d["param_chi2inv95"])


def test_box_conversions_round_trip():
    b = np.array([[10.0, 20.0, 50.0, 120.0]])
    np.testing.assert_allclose(xyah_to_tlbr(tlbr_to_xyah(b)), b)
