"""3D keypoints from a registered depth image: back-projection (with lens distortion), robust patch depth,
intrinsics and depth images of other sizes, person positions, and unusable inputs refused with a reason."""
import numpy as np
import pytest

from alphapose_ros.core.people3d.keypoints_3d import (DepthError, Intrinsics, LiftParams, back_project, depth_in_metres, lift,
                                             patch_depth, person_positions, project)
from alphapose_ros.synthetic.rgbd_scenes import camera, person, render

K = [600.0, 0.0, 319.5, 0.0, 600.0, 239.5, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("dist", [(), (0.12, -0.25, 0.0012, -0.0008, 0.1), (0.1, -0.2, 0.001, 0.001, 0.05, 0.02,
                                                                               -0.01, 0.003)])
def test_back_projection_inverts_projection_with_and_without_distortion(dist):
    intr = Intrinsics(600, 610, 319.5, 239.5, 640, 480, dist)
    pts = np.array([[0.3, -0.2, 2.0], [-0.9, 0.6, 3.0], [0.0, 0.0, 1.0], [1.2, 0.8, 4.5]])
    back = back_project(project(pts, intr), pts[:, 2], intr)
    assert np.abs(back - pts).max() < 1e-5


def test_intrinsics_scale_with_pixel_centres():
    full = Intrinsics.from_camera_info(K, [0.0] * 5, 640, 480)
    half = full.scaled(320, 240)
    pt = np.array([[0.4, -0.3, 2.5]])
    assert np.allclose((project(pt, full) + 0.5) / 2 - 0.5, project(pt, half), atol=1e-9)


def test_camera_info_that_cannot_be_used_is_refused_with_the_reason():
    with pytest.raises(DepthError, match="no usable K"):
        Intrinsics.from_camera_info([0.0] * 9, [], 640, 480)
    with pytest.raises(DepthError, match="image size"):
        Intrinsics.from_camera_info(K, [], 0, 0)
    with pytest.raises(DepthError, match="equidistant"):
        Intrinsics.from_camera_info(K, [0.1, 0.0, 0.0, 0.0], 640, 480, "equidistant")
    assert Intrinsics.from_camera_info(K, [0.0] * 5, 640, 480, "equidistant").dist == ()  # no distortion at all


def test_depth_encodings_in_metres_and_unknown_ones_refused():
    assert depth_in_metres(np.array([[1500]], np.uint16), "16UC1")[0, 0] == pytest.approx(1.5)
    assert depth_in_metres(np.array([[2.25]], np.float32), "32FC1")[0, 0] == pytest.approx(2.25)
    with pytest.raises(DepthError, match="bgr8"):
        depth_in_metres(np.zeros((2, 2), np.uint8), "bgr8")


def test_patch_depth_rejects_holes_nan_and_out_of_range_values_and_keeps_the_nearest_surface():
    d = np.full((40, 40), 3.0, np.float32)
    d[:, 20:] = 6.0                      # the wall behind, right half of every patch at x = 20
    d[5:12, 5:12] = 0.0                  # a hole bigger than the patch
    d[25:32, 5:12] = np.nan
    d[25:32, 25:32] = 50.0               # beyond max_depth
    d[15, 15] = 0.0                      # single dropouts inside a valid patch
    z = patch_depth(d, np.array([[8, 8], [8, 28], [28, 28], [np.nan, 3], [-30, -30], [28, 8], [15, 15]]),
                    radius=3, max_depth=20.0)  # (x, y) pixels
    assert np.isnan(z[:5]).all()
    assert z[5] == pytest.approx(6.0) and z[6] == pytest.approx(3.0)
    edge = patch_depth(d, np.array([[20.0, 20.0]]), radius=3)  # 3 columns of person, 4 of wall
    assert edge[0] == pytest.approx(3.0)


def test_lift_matches_the_scene_geometry_and_a_half_size_depth_image_gives_the_same_points():
    rng = np.random.default_rng(1)
    intr = camera(distorted=True)
    fr = render([person(3.0, rng, intr)], intr, rng, noise=0.0, dropout=0.0)
    depth = depth_in_metres(fr.depth_mm, "16UC1")
    xyz, pos = lift(fr.keypoints, np.ones((1, 17)), depth, intr, (intr.width, intr.height), "coco_17")
    e = np.linalg.norm(xyz - fr.truth, axis=-1)[fr.visible]
    assert np.median(e) < 0.005 and e.max() < 0.05  # face keypoints sit between ribbons a few cm apart
    small = depth[::2, ::2].copy()  # the same camera's depth at half resolution
    xyz2, _ = lift(fr.keypoints, np.ones((1, 17)), small, intr, (intr.width, intr.height), "coco_17")
    e2 = np.linalg.norm(xyz2 - fr.truth, axis=-1)[fr.visible]
    assert np.median(e2) < 0.01
    assert np.linalg.norm(pos[0] - person_positions(fr.truth, "coco_17")[0]) < 0.05


def test_low_score_keypoints_and_keypoints_outside_the_image_get_no_3d_point():
    d = np.full((100, 100), 2.0, np.float32)
    intr = Intrinsics(100, 100, 49.5, 49.5, 100, 100)
    kp = np.array([[[50, 50], [60, 60], [500, 50]] + [[50, 50]] * 14], np.float32)
    sc = np.ones((1, 17), np.float32)
    sc[0, 1] = 0.01
    xyz, _ = lift(kp, sc, d, intr, (100, 100), "coco_17", LiftParams(min_score=0.05))
    assert np.isfinite(xyz[0, 0]).all() and np.isnan(xyz[0, 1]).all() and np.isnan(xyz[0, 2]).all()


def test_person_position_is_the_torso_centre_without_an_arm_in_front_and_nan_without_depth():
    x = np.full((3, 17, 3), np.nan, np.float32)
    x[1, 0] = [1, 2, 3]                                   # only the nose has depth
    x[2, 5], x[2, 6] = [-0.2, 0, 2], [0.2, 0, 2]          # shoulders
    x[2, 11], x[2, 12] = [-0.1, 0.5, 2.0], [0.1, 0.5, 1.4]  # the right hip took an arm's depth
    p = person_positions(x, "coco_17")
    assert np.isnan(p[0]).all() and np.allclose(p[1], [1, 2, 3]) and np.allclose(p[2], [-0.05, 0.25, 2.0])
