"""Fall detection: a fast descent followed by lying raises one event per fall; walking, sitting down, bending
and lying down slowly raise none (synthetic.fall_sequences); formats without a body are refused."""
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
