"""The real-footage benchmark's scoring: one-to-one matching at IoU 0.5, ignored people counted neither
way; and the hand labels it reads are well-formed (boxes inside their images, both splits present)."""
import json

import numpy as np

from alphapose_ros.bench.real_people import LABELS, match


def test_each_label_matches_at_most_one_pose_and_each_pose_one_label():
    labels = [{"box": [0, 0, 10, 20]}, {"box": [100, 0, 110, 20]}]
    poses = np.array([[0, 0, 10, 20], [1, 0, 11, 20], [300, 0, 310, 20]], np.float32)
    assert match(labels, poses) == (1, 2, 3)  # the duplicate and the stray pose are both false positives


def test_poses_on_ignored_people_count_neither_way():
    labels = [{"box": [0, 0, 10, 20], "ignore": True}, {"box": [100, 0, 110, 20]}]
    poses = np.array([[0, 0, 10, 20], [100, 0, 110, 20]], np.float32)
    assert match(labels, poses) == (1, 1, 1)
    assert match(labels, np.zeros((0, 4))) == (0, 1, 0)


def test_a_pose_below_iou_half_does_not_match():
    assert match([{"box": [0, 0, 10, 20]}], np.array([[5, 0, 15, 20]], np.float32)) == (0, 1, 1)


def test_the_hand_labels_are_well_formed():
    doc = json.loads(LABELS.read_text())
    sizes = {"vtest.avi": (768, 576), "messi5.jpg": (548, 342), "basketball1.png": (640, 480)}
    splits = {e["split"] for e in doc["images"]}
    assert splits == {"dev", "test"}
    frames = [e["frame"] for e in doc["images"] if "frame" in e]
    assert len(frames) == len(set(frames)) and sum(e["split"] == "test" for e in doc["images"]) >= 14
    for e in doc["images"]:
        w, h = sizes[e["file"]]
        for p in e["people"]:
            x1, y1, x2, y2 = p["box"]
            assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h, (e, p)


def test_tracked_runs_start_at_phases_spread_over_one_detector_period():
    """So labelled frames are scored at every distance from the detector's last run, not only on its frames."""
    from alphapose_ros.bench.real_people import phase_starts

    assert phase_starts(6, 3) == [0, 2, 4]
    assert phase_starts(10, 3) == [0, 3, 7]
    assert phase_starts(6, 1) == [0] and phase_starts(2, 5) == [0, 1]  # never more runs than phases exist


def test_labels_mode_poses_each_hand_drawn_box_and_finds_those_people(footage, mediapipe_models):
    """The pose model's ceiling row: its poses come from the labelled boxes (a box moved off its person finds
    nobody there), so it says what a perfect detector would leave the pose model to miss."""
    from alphapose_ros.bench.real_people import run_labels

    stills = [e for e in json.loads(LABELS.read_text())["images"] if "frame" not in e]
    s = run_labels(stills, footage, "labels:every", 0.1)
    assert (s.found, s.people, s.poses, s.frames) == (3, 3, 3, 2)
    moved = [{**e, "people": [{**p, "box": [p["box"][0] + 40, p["box"][1], p["box"][2] + 40, p["box"][3]]}
                              for p in e["people"]]} for e in stills]
    assert run_labels(moved, footage, "labels:every", 0.1).found < 3
