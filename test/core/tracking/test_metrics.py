import numpy as np
import pytest

from alphapose_ros.core.tracking.metrics import MotAccumulator

A, B = [0, 0, 10, 10], [50, 0, 60, 10]


def test_perfect_tracking_scores_one():
    acc = MotAccumulator()
    for _ in range(5):
        acc.update([1, 2], [A, B], [7, 8], [A, B])
    s = acc.summary()
    assert s["mota"] == 1.0 and s["idf1"] == 1.0 and s["id_switches"] == 0


def test_swapped_ids_count_one_switch_per_person_and_lower_idf1():
    acc = MotAccumulator()
    for k in range(4):
        acc.update([1, 2], [A, B], [7, 8] if k < 2 else [8, 7], [A, B])
    s = acc.summary()
    assert s["id_switches"] == 2
    assert s["mota"] == pytest.approx(1 - 2 / 8)
    assert s["idf1"] == pytest.approx(2 * 4 / 16)  # each trajectory keeps its ID for half the frames


def test_misses_and_false_positives_lower_mota():
    acc = MotAccumulator()
    acc.update([1, 2], [A, B], [7], [A])                      # person 2 missed
    acc.update([1], [A], [7, 9], [A, [200, 200, 210, 210]])  # a false box
    s = acc.summary()
    assert (s["misses"], s["false_positives"], s["id_switches"]) == (1, 1, 0)
    assert s["mota"] == pytest.approx(1 - 2 / 3)


def test_a_box_below_the_iou_threshold_is_a_miss_and_a_false_positive():
    acc = MotAccumulator()
    acc.update([1], [A], [7], [[6, 0, 16, 10]])  # IoU 0.25
    assert (acc.misses, acc.false_positives) == (1, 1)


def test_correspondence_is_kept_while_it_still_overlaps():
    acc = MotAccumulator()
    acc.update([1], [A], [7], [A])
    # a second hypothesis fits better, but the old one still overlaps: no switch
    acc.update([1], [A], [7, 8], [np.add(A, [1, 0, 1, 0]), A])
    assert acc.id_switches == 0 and acc.false_positives == 1


def test_one_hypothesis_is_never_matched_to_two_people_it_once_followed():
    # hypothesis 3 follows person A, then (A gone) person B; then both stand where 3 is
    acc = MotAccumulator()
    a, b = [0, 0, 10, 20], [100, 0, 110, 20]
    acc.update([1], [a], [3], [a])
    acc.update([2], [b], [3], [b])
    acc.update([1, 2], [a, a], [3], [a])
    s = acc.summary()
    assert acc.matches == 3 and s["false_positives"] == 0 and s["misses"] == 1
