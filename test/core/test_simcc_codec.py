"""SimCC decoding: arg-max bin per axis over the split ratio, score the mean of the two maxima."""
import numpy as np

from alphapose_ros.core.codecs.simcc import decode_simcc


def test_locations_are_argmax_bins_over_the_split_ratio_and_scores_the_mean_of_maxima():
    x = np.zeros((2, 3, 20), np.float32)
    y = np.zeros((2, 3, 30), np.float32)
    x[0, 0, 7], y[0, 0, 11] = 0.8, 0.6
    x[1, 2, 19], y[1, 2, 0] = 0.9, 0.3
    x[0, 1, 4], y[0, 1, 5] = -0.2, -0.1  # nothing there: marked -1
    x[0, 1, 5] = -0.5
    y[0, 1] -= 1
    x[0, 1] -= 1
    xy, s = decode_simcc(x, y, split_ratio=2.0)
    np.testing.assert_allclose(xy[0, 0], [3.5, 5.5])
    np.testing.assert_allclose(xy[1, 2], [9.5, 0.0])
    np.testing.assert_allclose(s[0, 0], 0.7)
    np.testing.assert_allclose(s[1, 2], 0.6)
    np.testing.assert_allclose(xy[0, 1], [-0.5, -0.5])
    assert s[0, 1] < 0 and xy.dtype == np.float32 and s.shape == (2, 3)
