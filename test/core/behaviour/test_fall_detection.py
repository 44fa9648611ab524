"""Fall detection: a fast descent followed by lying raises one event per fall; walking, sitting down, bending
and lying down slowly raise none (synthetic.fall_sequences); falls towards, away from and across a level camera
are caught from 3D and from 2D (synthetic.fall_scenes_3d); formats without a body are refused."""
import numpy as np
import pytest

from alphapose_ros.core.behaviour.fall_detection import FallDetector
from alphapose_ros.synthetic.fall_sequences import CLASSES, FPS, sequence


def _events(points: np.ndarray) -> list:
    det = FallDetector()
    events = []
    for i, frame in enumerate(points):
        events += det.update(i / FPS, np.array([7]), frame[None], np.ones((1, 17)), "coco_17")
    return events


def test_falls_are_detected_and_the_other_activities_are_not():
    rng = np.random.default_rng(5)  # the rule's thresholds were chosen on seed 0
    for kind in CLASSES:
        runs = [sequence(kind, rng) for _ in range(15)]
        found = [(_events(points), landed) for points, landed in runs]
        if kind != "falling":
            assert not any(events for events, _ in found), kind
            continue
        assert sum(bool(events) for events, _ in found) >= 14
        # within a second of the hips landing
        assert max(events[0].stamp - landed for events, landed in found if events) < 1.0


def test_one_event_per_fall_and_a_second_fall_after_getting_up_counts_again():
    rng = np.random.default_rng(2)
    fall, _ = sequence("falling", rng)
    walk, _ = sequence("walking", rng)
    frames = np.concatenate([fall, walk, fall])
    det = FallDetector()
    events = []
    for i, f in enumerate(frames):
        events += det.update(i / FPS, np.array([3]), f[None], np.ones((1, 17)), "coco_17")
    assert [e.track_id for e in events] == [3, 3]
    assert all(0 < e.confidence <= 1 and e.torso_angle_deg >= 60 and e.fall_start < e.stamp for e in events)


def test_tracks_are_kept_apart_and_untracked_or_hidden_people_ignored():
    rng = np.random.default_rng(4)
    fall, _ = sequence("falling", rng)
    walk, _ = sequence("walking", rng)
    n = min(len(fall), len(walk))
    det = FallDetector()
    events = []
    for i in range(n):
        scores = np.ones((3, 17))
        scores[2] = 0.0  # nobody visible
        events += det.update(i / FPS, np.array([1, 2, -1]), np.stack([walk[i], fall[i], fall[i]]), scores, "coco_17")
    assert [e.track_id for e in events] == [2]


def test_a_format_without_a_body_is_refused():
    with pytest.raises(ValueError, match="hand_21"):
        FallDetector().update(0.0, np.array([1]), np.zeros((1, 21, 2)), np.ones((1, 21)), "hand_21")


def _scene_events(points, up=None) -> int:
    from alphapose_ros.core.behaviour.fall_detection import FallDetector
    from alphapose_ros.synthetic.fall_scenes_3d import FPS

    det = FallDetector()
    return sum(len(det.update(i / FPS, np.array([1]), f[None], np.ones((1, 17)), "coco_17", up))
               for i, f in enumerate(points))


def test_falls_in_every_direction_are_caught_from_3d_and_from_2d_and_everyday_motions_are_not():
    """Seed 4 of the 3D scenes, which the thresholds were not chosen on (seeds 0-2) nor reported on (3)."""
    from alphapose_ros.synthetic.fall_scenes_3d import EVERYDAY, FALLS, UP_IN_OPTICAL, sequence

    rng = np.random.default_rng(4)
    for kind in FALLS + EVERYDAY:
        got = {"2d": 0, "3d": 0}
        for _ in range(10):
            uv, xyz, _ = sequence(kind, rng)
            got["2d"] += _scene_events(uv) > 0
            got["3d"] += _scene_events(xyz, UP_IN_OPTICAL) > 0
        if kind in FALLS:
            assert got["3d"] >= 9 and got["2d"] >= 8, (kind, got)
        else:
            assert got == {"2d": 0, "3d": 0}, (kind, got)


def test_in_a_z_up_frame_a_fall_away_from_the_camera_is_caught_and_a_squat_is_not():
    """3D in base_link or map (REP-103: z up) rather than the camera's optical frame."""
    from alphapose_ros.synthetic.fall_scenes_3d import world_sequence

    rng = np.random.default_rng(40)
    for _ in range(3):
        fall, _ = world_sequence("fall away", rng)
        squat, _ = world_sequence("squat and reach", rng)
        assert _scene_events(fall, np.array([0.0, 0.0, 1.0])) == 1
        assert _scene_events(squat, np.array([0.0, 0.0, 1.0])) == 0
        assert _scene_events(fall, np.array([0.0, -1.0, 0.0])) == 0  # the wrong up: no lying seen, no event
