import numpy as np
import pytest

from alphapose_ros.core.people3d.robot_distance import NoiseModel, person_distances, segment_distance


def brute(p0, p1, q0, q1, n=801):
    u = np.linspace(0, 1, n)[:, None]
    ps, qs = p0 + u * (p1 - p0), q0 + u * (q1 - q0)
    return np.linalg.norm(ps[:, None] - qs[None], axis=-1).min()


def test_segment_distance_matches_a_dense_search_for_segments_and_points():
    rng = np.random.default_rng(0)
    for _ in range(30):
        p0, p1, q0, q1 = rng.normal(size=(4, 3))
        if rng.random() < 0.3:
            p1 = p0  # a point
        if rng.random() < 0.3:
            q1 = q0
        assert segment_distance(p0, p1, q0, q1) == pytest.approx(brute(p0, p1, q0, q1), abs=5e-3)
    # parallel segments, side by side
    assert segment_distance(np.zeros(3), np.array([1.0, 0, 0]), np.array([0.5, 1, 0]), np.array([2.0, 1, 0])) \
        == pytest.approx(1.0)


def test_the_nearest_keypoint_to_the_nearest_link_surface_with_bounds_around_it():
    links = np.array([[[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]],      # a vertical capsule at the origin, r 0.1
                      [[2.0, 0.0, 0.0], [2.0, 0.0, 0.0]]])     # a sphere at x = 2, r 0.2
    radii = np.array([0.1, 0.2])
    pts = np.full((2, 3, 3), np.nan)
    pts[0, 0] = [1.0, 0.0, 0.5]   # 0.9 m from the capsule, 0.8 m from the sphere
    pts[0, 1] = [0.5, 0.0, 0.5]   # 0.4 m from the capsule: the nearest
    pts[1, 2] = [2.0, 1.0, 0.0]   # 0.8 m from the sphere
    cam = np.array([0.0, -3.0, 0.5])
    r = person_distances(pts, np.ones((2, 3)), links, radii, cam, noise=NoiseModel(depth_noise=0.0, pixel_noise=0.0))
    np.testing.assert_allclose(r.distance, [0.4, 0.8])
    assert r.keypoint.tolist() == [1, 2] and r.link.tolist() == [0, 1]
    np.testing.assert_allclose(r.lower, r.distance)  # no noise: no width
    noisy = person_distances(pts, np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.3]]), links, radii, cam)
    assert np.all(noisy.lower < noisy.distance) and np.all(noisy.upper > noisy.distance)
    width = noisy.upper - noisy.lower
    assert width[1] > width[0]  # farther from the camera and a low score: wider


def test_a_person_without_depth_gets_a_lower_bound_from_the_viewing_rays_and_no_upper_bound():
    links = np.array([[[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
    cam = np.array([0.0, -3.0, 0.5])
    pts = np.full((1, 2, 3), np.nan)
    rays = np.array([[[0.6, 0.8, 0.0], [1.0, 0.0, 0.0]]])  # the first passes 1.8 m from the capsule's axis
    r = person_distances(pts, np.ones((1, 2)), links, np.array([0.1]), cam, rays)
    assert np.isnan(r.distance[0]) and r.upper[0] == np.inf and r.keypoint[0] == -1
    assert r.lower[0] == pytest.approx(3.0 * 0.6 - 0.1, abs=1e-6)
    without_rays = person_distances(pts, np.ones((1, 2)), links, np.array([0.1]), cam)
    assert without_rays.lower[0] == 0.0 and without_rays.upper[0] == np.inf


def test_links_load_from_yaml_and_bad_entries_are_named(tmp_path):
    from pathlib import Path

    from alphapose_ros.core.people3d.robot_distance import load_links

    example = Path(__file__).resolve().parents[3] / "config" / "robot_links_example.yaml"
    links = load_links(str(example))
    assert links[0].frame == "base_link_inertia" and links[-1].a == links[-1].b  # the last is a sphere
    bad = tmp_path / "bad.yaml"
    bad.write_text("links:\n  - {frame: tool0, a: [0, 0], radius: 0.1}\n")
    with pytest.raises(ValueError, match="link 1"):
        load_links(str(bad))
    bad.write_text("links:\n  - {frame: tool0, a: [0, 0, 0]}\n")
    with pytest.raises(ValueError, match="link 1 needs frame"):
        load_links(str(bad))
    bad.write_text("robot: {}\n")
    with pytest.raises(ValueError, match="no `links:` list"):
        load_links(str(bad))


def test_point_to_segment_distance_is_the_segment_distance_of_a_point():
    from alphapose_ros.core.people3d.robot_distance import point_segment_distance

    rng = np.random.default_rng(3)
    p, a, b = rng.normal(size=(3, 50, 3))
    np.testing.assert_allclose(point_segment_distance(p, a, b), segment_distance(p, p, a, b), atol=1e-12)
    np.testing.assert_allclose(point_segment_distance(p, a, a), np.linalg.norm(p - a, axis=1), atol=1e-12)
