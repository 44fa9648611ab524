"""Box NMS and soft-NMS: hand-worked cases and agreement with a plain reference on random boxes."""
import numpy as np
import pytest

from alphapose_ros.core.detectors.nms import nms, soft_nms


def _plain_nms(boxes, scores, thr, plus_one):
    o = 1.0 if plus_one else 0.0
    order = sorted(range(len(boxes)), key=lambda i: (-scores[i], i))
    keep, dead = [], set()
    for i in order:
        if i in dead:
            continue
        keep.append(i)
        for j in order:
            if j in dead or j == i or j in keep:
                continue
            ix = max(0.0, min(boxes[i][2], boxes[j][2]) - max(boxes[i][0], boxes[j][0]) + o)
            iy = max(0.0, min(boxes[i][3], boxes[j][3]) - max(boxes[i][1], boxes[j][1]) + o)
            inter = ix * iy
            ai = (boxes[i][2] - boxes[i][0] + o) * (boxes[i][3] - boxes[i][1] + o)
            aj = (boxes[j][2] - boxes[j][0] + o) * (boxes[j][3] - boxes[j][1] + o)
            if inter / (ai + aj - inter) >= thr:
                dead.add(j)
    return keep


def _plain_soft(boxes, scores, method, sigma, thr, min_score):
    s = list(map(float, scores))
    alive = list(range(len(boxes)))
    keep, ks = [], []
    while alive:
        i = max(alive, key=lambda k: (s[k], -k))
        if s[i] < min_score:
            break
        keep.append(i)
        ks.append(s[i])
        alive.remove(i)
        for j in alive:
            ix = max(0.0, min(boxes[i][2], boxes[j][2]) - max(boxes[i][0], boxes[j][0]))
            iy = max(0.0, min(boxes[i][3], boxes[j][3]) - max(boxes[i][1], boxes[j][1]))
            inter = ix * iy
            u = ((boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1])
                 + (boxes[j][2] - boxes[j][0]) * (boxes[j][3] - boxes[j][1]) - inter)
            ov = inter / u
            if method == "linear":
                s[j] *= (1 - ov) if ov > thr else 1.0
            else:
                s[j] *= np.exp(-ov * ov / sigma)
        alive = [j for j in alive if s[j] >= min_score]
    return keep, ks


def _random_boxes(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 200, (n, 2))
    wh = rng.uniform(10, 80, (n, 2))
    return np.concatenate([xy, xy + wh], 1), rng.uniform(0, 1, n)


def test_hand_worked_nms():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10]], float)
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    # IoU(0,1) = 81/119 = 0.68: suppressed at 0.6, kept at 0.7; box 3 duplicates box 0 and wins
    assert nms(boxes, scores, 0.6).tolist() == [3, 2]
    assert nms(boxes, scores, 0.7).tolist() == [3, 1, 2]
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


def test_hand_worked_soft_nms():
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], float)  # IoU = 50/150 = 1/3
    keep, s = soft_nms(boxes, [0.9, 0.8], "linear", iou_thresh=0.3)
    assert keep.tolist() == [0, 1] and s[1] == pytest.approx(0.8 * (2 / 3))
    keep, s = soft_nms(boxes, [0.9, 0.8], "gaussian", sigma=0.5)
    assert s[1] == pytest.approx(0.8 * np.exp(-(1 / 9) / 0.5))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("plus_one", [False, True])
def test_nms_equals_plain_reference_on_random_boxes(seed, plus_one):
    b, s = _random_boxes(60, seed)
    assert nms(b, s, 0.45, plus_one).tolist() == _plain_nms(b.tolist(), s.tolist(), 0.45, plus_one)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("method", ["linear", "gaussian"])
def test_soft_nms_equals_plain_reference_on_random_boxes(seed, method):
    b, s = _random_boxes(40, seed)
    keep, ks = soft_nms(b, s, method, sigma=0.5, iou_thresh=0.3, score_thresh=0.05)
    rk, rs = _plain_soft(b.tolist(), s.tolist(), method, 0.5, 0.3, 0.05)
    assert keep.tolist() == rk
    np.testing.assert_allclose(ks, rs, rtol=1e-12)


def test_iou_exactly_at_the_threshold_is_suppressed_or_kept_by_convention():
    boxes = np.array([[0, 0, 10, 10], [5, 0, 15, 10]], np.float64)  # IoU = 50 / 150 = 1/3
    scores = np.array([0.9, 0.8])
    assert nms(boxes, scores, 1 / 3).tolist() == [0]  # AlphaPose YOLOv3: >= suppresses
    assert nms(boxes, scores, 1 / 3, suppress_equal=False).tolist() == [0, 1]  # torchvision: > suppresses
