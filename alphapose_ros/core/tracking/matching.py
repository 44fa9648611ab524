"""Association costs and the assignment solver used by the trackers."""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from alphapose_ros.core.nms.parametric import paper_similarity
from alphapose_ros.core.tracking.kalman import CHI2INV95, KalmanFilter

INF_COST = 1e5


def aligned_iou(a: np.ndarray, b: np.ndarray, plus_one: bool = False, gaps_stay_gaps: bool = False) -> np.ndarray:
    """Element-wise IoU of broadcastable tlbr boxes (..., 4); `plus_one`: whole-pixel areas, where by
    default boxes less than a pixel apart still share one (AlphaPose's tracker), and with `gaps_stay_gaps`
    only overlapping boxes intersect (AlphaPose's PoseFlow)."""
    o = 1.0 if plus_one else 0.0
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    if gaps_stay_gaps:
        inter = np.where((iw >= 0) & (ih >= 0), (iw + o) * (ih + o), 0.0)
    else:
        inter = np.clip(iw + o, 0, None) * np.clip(ih + o, 0, None)
    area_a = (a[..., 2] - a[..., 0] + o) * (a[..., 3] - a[..., 1] + o)
    area_b = (b[..., 2] - b[..., 0] + o) * (b[..., 3] - b[..., 1] + o)
    return inter / np.maximum(area_a + area_b - inter, 1e-12)


def iou_matrix(a: np.ndarray, b: np.ndarray, plus_one: bool = True) -> np.ndarray:
    """IoU (N,M) of boxes a (N,4) and b (M,4), tlbr; `plus_one`: the +1-pixel area convention
    of AlphaPose's tracker (metrics use continuous boxes)."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    return aligned_iou(a[:, None], b[None], plus_one)


def greedy_iou_pairs(a: np.ndarray, b: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """Greedy one-to-one (row of a, row of b) pairs by IoU (continuous boxes), highest first, down to min_iou."""
    if len(a) == 0 or len(b) == 0:
        return []
    iou = iou_matrix(a, b, plus_one=False)
    pairs, used_a, used_b = [], set(), set()
    for flat in np.argsort(-iou, axis=None):
        i, j = np.unravel_index(flat, iou.shape)
        if iou[i, j] < min_iou:
            break
        if i not in used_a and j not in used_b:
            pairs.append((int(i), int(j)))
            used_a.add(i)
            used_b.add(j)
    return pairs


def iou_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1.0 - iou_matrix(a, b)


def embedding_distance(track_feats: np.ndarray, det_feats: np.ndarray) -> np.ndarray:
    """Cosine distance (N,M), clipped at 0 (features are L2-normalised)."""
    if not len(track_feats) or not len(det_feats):
        return np.zeros((len(track_feats), len(det_feats)))
    t = track_feats / np.linalg.norm(track_feats, axis=1, keepdims=True)
    d = det_feats / np.linalg.norm(det_feats, axis=1, keepdims=True)
    return np.maximum(0.0, 1.0 - t @ d.T)


def fuse_motion(kf: KalmanFilter, cost: np.ndarray, means: np.ndarray, covs: np.ndarray, det_xyah: np.ndarray,
                lambda_: float = 0.98) -> np.ndarray:
    """Gate appearance costs by Kalman Mahalanobis distance (chi-square 95%, 4 dof) and mix it in."""
    cost = cost.copy()
    if not cost.size:
        return cost
    for i in range(len(means)):
        maha = kf.gating_distance(means[i:i + 1], covs[i], det_xyah)
        cost[i, maha > CHI2INV95[3]] = np.inf
        cost[i] = lambda_ * cost[i] + (1 - lambda_) * maha
    return cost


def normalised_pose_distance(track_kp: np.ndarray, track_boxes: np.ndarray, det_kp: np.ndarray,
                             det_boxes: np.ndarray, track_scores: np.ndarray, det_scores: np.ndarray,
                             sigma1: float = 1.0, sigma2: float = 0.01, lam: float = 1.0) -> np.ndarray:
    """The paper's normalised pose distance of MSIM's stage 2 (N,M) in [0, 1]: both poses moved to their box
    centre and scaled to unit box height, then eq. 19 -- soft keypoint matching (tanh of both scores, for
    keypoints within a box 1/10 of the track's box) + lam x sum of exp(-squared distance / sigma2) -- which
    grows with similarity, read as a distance: 1 - eq. 19 / its largest value K (1 + lam)."""
    def norm(kp, boxes):
        c = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], 1)
        h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6)
        return (kp - c[:, None]) / h[:, None, None]

    if not len(track_kp) or not len(det_kp):
        return np.zeros((len(track_kp), len(det_kp)))
    a, b = norm(track_kp, track_boxes), norm(det_kp, det_boxes)
    diff = a[:, None] - b[None]  # (N,M,K,2)
    tb = np.asarray(track_boxes, np.float64)
    aspect = (tb[:, 2] - tb[:, 0]) / np.maximum(tb[:, 3] - tb[:, 1], 1e-6)
    half = np.stack([aspect / 20, np.full(len(tb), 1 / 20)], 1)[:, None, None]  # the match box, normalised
    t = np.tanh(np.asarray(track_scores, np.float64) / sigma1)[:, None] * np.tanh(
        np.asarray(det_scores, np.float64) / sigma1)[None]
    return 1.0 - paper_similarity(diff, half, t, lam, sigma2) / (a.shape[1] * (1.0 + lam))


def linear_assignment(cost: np.ndarray, thresh: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimum-cost matching accepting pairs with cost <= thresh: (matches (k,2), unmatched rows, cols)."""
    n, m = cost.shape
    if cost.size == 0:
        return np.zeros((0, 2), int), np.arange(n), np.arange(m)
    c = np.where(np.isfinite(cost), cost, INF_COST)
    c = np.where(c > thresh, thresh + 1.0 + np.abs(c).max(), c)  # never accept above the threshold
    rows, cols = linear_sum_assignment(c)
    ok = cost[rows, cols] <= thresh
    matches = np.stack([rows[ok], cols[ok]], 1) if ok.any() else np.zeros((0, 2), int)
    return matches, np.setdiff1d(np.arange(n), matches[:, 0]), np.setdiff1d(np.arange(m), matches[:, 1])
