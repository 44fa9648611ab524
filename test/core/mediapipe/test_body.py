import numpy as np

from alphapose_ros.core.mediapipe.body import BODY33, HALPE26_FROM_BODY33, MASKED, to_halpe26
from alphapose_ros.core.skeletons import get_format


def test_mapping_covers_halpe26_in_its_order():
    assert tuple(n for n, _ in HALPE26_FROM_BODY33) == get_format("halpe_26").names


def test_neck_and_hip_are_midpoints_scored_by_the_weaker_side_and_masked_points_score_zero():
    rng = np.random.default_rng(1)
    xy, s = rng.random((2, 33, 2)) * 100, rng.random((2, 33))
    out_xy, out_s = to_halpe26(xy, s)
    i = {n: k for k, n in enumerate(BODY33)}
    names = get_format("halpe_26").names
    neck, hip = names.index("neck"), names.index("hip")
    np.testing.assert_allclose(out_xy[:, neck], (xy[:, i["left_shoulder"]] + xy[:, i["right_shoulder"]]) / 2,
                               rtol=1e-5)
    np.testing.assert_allclose(out_s[:, hip], np.minimum(s[:, i["left_hip"]], s[:, i["right_hip"]]), rtol=1e-6)
    np.testing.assert_allclose(out_xy[:, names.index("left_heel")], xy[:, i["left_heel"]], rtol=1e-6)
    for m in MASKED:
        assert (out_s[:, names.index(m)] == 0).all()


def test_flip_pairs_of_halpe26_map_to_mirrored_blazepose_points():
    # swapping BlazePose's left/right points must swap Halpe's left/right points
    left_right = [(k, k.replace("left", "right")) for k in BODY33 if k.startswith("left")]
    perm = np.arange(33)
    for a, b in left_right:
        perm[BODY33.index(a)], perm[BODY33.index(b)] = BODY33.index(b), BODY33.index(a)
    xy = np.random.default_rng(2).random((1, 33, 2))
    s = np.ones((1, 33))
    fmt = get_format("halpe_26")
    np.testing.assert_allclose(to_halpe26(xy[:, perm], s)[0], to_halpe26(xy, s)[0][:, fmt.flip_permutation()],
                               rtol=1e-6)
