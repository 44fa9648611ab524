import cv2
import numpy as np
import pytest

from alphapose_ros.core.mediapipe.blazepose_detector import INPUT, anchors, decode, letterbox, tiles, weighted_nms


def test_anchor_grid_has_the_models_2254_anchors_in_row_major_order():
    a = anchors()
    assert a.shape == (2254, 2)
    np.testing.assert_allclose(a[:2], [[0.5 / 28, 0.5 / 28]] * 2)   # 2 anchors per cell on the 28 grid
    np.testing.assert_allclose(a[2], [1.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(a[-6:], [[6.5 / 7, 6.5 / 7]] * 6)     # 6 per cell on the 7 grid


def test_decode_offsets_box_and_points_from_their_anchor():
    a = anchors()
    raw = np.zeros((len(a), 12), np.float32)
    logits = np.full(len(a), -10.0, np.float32)
    i = 1000
    raw[i, :4] = [3, -2, 40, 60]
    raw[i, 4:6] = [5, 7]
    logits[i] = 3.0
    boxes, points, scores = decode(raw, logits, a, 0.5)
    cx, cy = a[i] * INPUT
    np.testing.assert_allclose(boxes[0], [cx + 3 - 20, cy - 2 - 30, cx + 3 + 20, cy - 2 + 30], rtol=1e-6)
    np.testing.assert_allclose(points[0, 0], [cx + 5, cy + 7], rtol=1e-6)
    assert scores[0] == pytest.approx(1 / (1 + np.exp(-3.0)))


def test_weighted_nms_averages_a_cluster_by_score_and_keeps_separate_people():
    boxes = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [50, 50, 60, 60]], float)
    points = np.repeat(boxes[:, None, :2], 4, 1)
    b, p, s = weighted_nms(boxes, points, np.array([0.9, 0.3, 0.8]), 0.3)
    assert len(b) == 2
    np.testing.assert_allclose(b[0], [0.5, 0, 10.5, 10])
    np.testing.assert_allclose(s, [0.9, 0.8])


def test_letterbox_keeps_the_aspect_ratio_and_centres_the_image():
    img = np.full((100, 200, 3), 255, np.uint8)
    x, (scale, off) = letterbox(img)
    assert x.shape == (INPUT, INPUT, 3) and scale == INPUT / 200
    np.testing.assert_array_equal(off, [0, 56])
    assert x[0, 0, 0] == -1 and x[INPUT // 2, INPUT // 2, 0] == pytest.approx(1.0)


def test_tiles_cover_the_whole_image():
    t = tiles(768, 576, 256)
    assert min(x0 for x0, *_ in t) == 0 and max(x1 for *_, x1, _ in t) == 768
    assert max(y1 for *_, y1 in t) == 576
    assert tiles(200, 100, 256) == [] and tiles(768, 576, 0) == []


def test_finds_the_player_in_messi5_and_nobody_in_a_blank_frame(mediapipe_models, footage):
    from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector

    det = BlazePoseDetector()
    img = cv2.imread(str(footage / "messi5.jpg"))
    found, blank, empty = det.detect([img, np.zeros_like(img), np.zeros((0, 0, 3), np.uint8)])
    assert len(found) == 1 and found.scores[0] > 0.8
    x1, y1, x2, y2 = found.boxes[0]
    assert x1 < 220 < x2 and y1 < 150 < y2  # around his torso (about x 240, y 150)
    assert len(blank) == 0 and len(empty) == 0
    assert det.last_points[0].shape == (1, 4, 2)
