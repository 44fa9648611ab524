"""PoseFlow-style tracking: the alternative tracker, behind the same interface as MSIM.

Frame-to-frame: ORB keypoints of the previous and the current image are matched (Hamming
distance, Lowe ratio test) and every candidate track is graded against every pose by a
weighted sum of IoUs -- of the two person boxes and of small squares around each joint,
both plainly and through the ORB correspondences. Candidates are the latest appearance of
every ID seen within `link_seconds`; the ones from the previous frame also use the
correspondence terms. The Hungarian method maximises the grade; a pair is accepted above
`accept`, the rest get new IDs. Without an image (or with too few matches) every pixel
corresponds to itself, so the correspondence IoUs become plain IoUs of whole-pixel boxes.
Deviation from the original: exact nearest neighbours instead of FLANN's approximate ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from alphapose_ros.core.tracking.matching import aligned_iou
from alphapose_ros.core.tracking.msim import TrackOutput


@dataclass(frozen=True)
class PoseFlowParams:
    link_seconds: float = 100 / 30.0       # candidates: IDs seen within this image time (100 frames)
    accept: float = 0.2                    # a match needs a grade above this
    weights_previous: tuple = (1.0, 2.0, 1.0, 2.0, 0.0, 0.0)  # corr box, box, corr joints, joints, s1, s2
    weights_older: tuple = (0.0, 1.0, 0.0, 1.0, 0.0, 0.0)
    joint_half_size: float = 30.0          # joint squares are +- this many pixels
    best_joints: int = 7                   # joint IoUs averaged over the best this many
    box_grow: float = 0.1                  # person box = keypoint extent grown this much per side
    orb_features: int = 10000
    ratio: float = 0.8                     # Lowe's ratio test
    min_matches: int = 8                   # fewer: identity correspondence


@dataclass
class _Candidate:
    track_id: int
    start_time: float
    last_time: float
    last_frame: int
    box: np.ndarray          # (4,) int pixel box from the keypoints
    keypoints: np.ndarray    # (K,2)
    score: float


@dataclass
class PoseFlowTracker:
    params: PoseFlowParams = field(default_factory=PoseFlowParams)
    next_id: int = 1

    def __post_init__(self) -> None:
        self._orb = None
        self.reset()

    def reset(self) -> None:
        """Forget all tracks (IDs keep counting, so none is ever reused)."""
        self.candidates: dict[int, _Candidate] = {}
        self.frame = 0
        self.last_time: float | None = None
        self._prev_features = None   # (points (M,2), descriptors) of the previous image
        self._shape = None

    def update(self, t: float, boxes: np.ndarray, embeddings: np.ndarray | None = None,
               keypoints: np.ndarray | None = None, kp_scores: np.ndarray | None = None,
               image: np.ndarray | None = None) -> TrackOutput:
        """One frame's poses (keypoints (N,K,2) are required; boxes only bound them when the
        image is absent); embeddings are not used by PoseFlow."""
        p = self.params
        if self.last_time is not None and t < self.last_time:
            self.reset()
        self.last_time = t
        self.frame += 1
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        n = len(boxes)
        if keypoints is None:  # PoseFlow grades poses; a box alone becomes its corners' extent
            keypoints = np.stack([boxes[:, :2], boxes[:, 2:]], 1)
        kps = np.asarray(keypoints, np.float64).reshape(n, -1, 2)
        shape = image.shape[:2] if image is not None else (
            int(np.ceil(max(boxes[:, 3].max(initial=0), kps[..., 1].max(initial=0)))) + 1,
            int(np.ceil(max(boxes[:, 2].max(initial=0), kps[..., 0].max(initial=0)))) + 1)
        pose_boxes = self._pose_boxes(kps, shape)
        scores = (np.asarray(kp_scores, np.float64).reshape(n, -1).mean(1) if kp_scores is not None
                  else np.ones(n))

        corr = self._correspondences(image, pose_boxes)
        cands = [c for c in self.candidates.values() if t - c.last_time <= p.link_seconds]
        ids = np.zeros(n, np.int64)
        taken = np.zeros(n, bool)
        if cands and n:
            for r, c in poseflow_matches(self._grades(cands, pose_boxes, kps, scores, corr), p.accept):
                ids[c], taken[c] = cands[r].track_id, True
        for j in np.flatnonzero(~taken):
            ids[j] = self.next_id
            self.next_id += 1
        for j in range(n):
            old = self.candidates.get(int(ids[j]))
            self.candidates[int(ids[j])] = _Candidate(int(ids[j]), old.start_time if old else t, t, self.frame,
                                                      pose_boxes[j], kps[j], float(scores[j]))
        self.candidates = {k: c for k, c in self.candidates.items() if t - c.last_time <= p.link_seconds}
        ages = np.array([t - self.candidates[int(i)].start_time for i in ids], np.float64)
        return TrackOutput(ids, np.arange(n, dtype=np.int64), boxes.copy(), np.ones(n, bool), ages)

    def _pose_boxes(self, kps: np.ndarray, shape) -> np.ndarray:
        """Keypoint extent grown `box_grow` per side, clipped to the image, whole pixels."""
        if not len(kps):
            return np.zeros((0, 4))
        lo, hi = kps.min(1), kps.max(1)
        grow = (hi - lo) * self.params.box_grow
        h, w = shape
        b = np.concatenate([lo - grow, hi + grow], 1)
        b = np.clip(b, 0, [w - 1, h - 1, w - 1, h - 1])
        return np.trunc(b)

    def _correspondences(self, image: np.ndarray | None, pose_boxes: np.ndarray):
        """ORB matches (prev points (M,2), current points (M,2)) with the previous image, or
        None for the identity correspondence; keeps this image's features for the next frame.
        Features are taken only around the people (boxes grown by the joint squares): a match
        far from everyone falls in no region and adds nothing to a grade; the cost is that the
        ratio test then only sees the people's features."""
        if image is None:
            self._prev_features = None
            return None
        import cv2

        if self._orb is None:
            self._orb = cv2.ORB_create(nfeatures=self.params.orb_features, scoreType=cv2.ORB_FAST_SCORE)
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        mask = np.zeros(gray.shape, np.uint8)
        g = int(np.ceil(self.params.joint_half_size))
        for x0, y0, x1, y1 in pose_boxes.astype(int):
            mask[max(y0 - g, 0):y1 + g + 1, max(x0 - g, 0):x1 + g + 1] = 255
        kp, desc = self._orb.detectAndCompute(gray, mask)
        pts = np.array([k.pt for k in kp], np.float64).reshape(-1, 2)
        prev, self._prev_features = self._prev_features, (pts, desc)
        if prev is None or desc is None or prev[1] is None or len(pts) < 2 or len(prev[0]) < 2:
            return None
        pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(prev[1], desc, k=2)
        good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < self.params.ratio * m[1].distance]
        if len(good) < self.params.min_matches:
            return None
        q = np.array([m.queryIdx for m in good])
        r = np.array([m.trainIdx for m in good])
        return prev[0][q], pts[r]

    def _grades(self, cands: list[_Candidate], boxes: np.ndarray, kps: np.ndarray, scores: np.ndarray,
                corr) -> np.ndarray:
        """Grade (C,N) of every candidate against every pose."""
        previous = np.array([c.last_frame == self.frame - 1 for c in cands])
        return poseflow_costs(np.stack([c.box for c in cands]), np.stack([c.keypoints for c in cands]), previous,
                              boxes, kps, corr, np.array([c.score for c in cands]), scores, self.params).cost


@dataclass
class PoseFlowCosts:
    """PoseFlow's grade of every previous pose (rows) against every new one (columns), and its terms."""

    cost: np.ndarray
    box_iou: np.ndarray         # person boxes
    joint_iou: np.ndarray       # joint squares, mean of the best `best_joints`
    corr_box_iou: np.ndarray    # person boxes through the correspondences
    corr_joint_iou: np.ndarray  # joint squares through the correspondences


def poseflow_costs(prev_boxes: np.ndarray, prev_poses: np.ndarray, prev_from_last_frame: np.ndarray,
                   boxes: np.ndarray, poses: np.ndarray, correspondences: np.ndarray | tuple | None = None,
                   prev_scores: np.ndarray | None = None, scores: np.ndarray | None = None,
                   params: PoseFlowParams = PoseFlowParams()) -> PoseFlowCosts:
    """PoseFlow's matching costs. Boxes (P,4)/(N,4) x1,y1,x2,y2 in whole pixels, poses (P,K,2)/(N,K,2);
    `prev_from_last_frame` (P,) picks each row's weights (previous frame, or older); correspondences:
    (M,4+) rows x,y in the previous image -> x,y in this one (or a pair of (M,2) arrays), None for the
    identity. IoUs use AlphaPose's whole-pixel convention (boxes that overlap count one pixel more per
    side). prev_scores/scores feed the last two terms, weighted 0 by default."""
    p = params
    pb, pk = np.asarray(prev_boxes, np.float64).reshape(-1, 4), np.asarray(prev_poses, np.float64)
    nb, nk = np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(poses, np.float64)
    if pk.shape[1] != nk.shape[1]:
        raise ValueError(f"keypoint count changed from {pk.shape[1]} to {nk.shape[1]}")
    box_iou = aligned_iou(pb[:, None], nb[None], plus_one=True, gaps_stay_gaps=True)
    joint_iou = _best_mean(aligned_iou(*_squares(pk, nk, p.joint_half_size), plus_one=True, gaps_stay_gaps=True),
                           p.best_joints)
    if correspondences is None:  # identity correspondence: through-correspondence IoU is the whole-pixel IoU
        corr_box = box_iou
        corr_joint = _best_mean(_joint_iou(pk, nk, p.joint_half_size, None), p.best_joints)
    else:
        c = correspondences if isinstance(correspondences, tuple) else (
            np.asarray(correspondences)[:, :2], np.asarray(correspondences)[:, 2:4])
        corr_box = _corr_iou(_inside(c[0], pb), _inside(c[1], nb))
        corr_joint = _best_mean(_joint_iou(pk, nk, p.joint_half_size, c), p.best_joints)
    shape = box_iou.shape
    s1 = np.broadcast_to((np.ones(len(pb)) if prev_scores is None else np.asarray(prev_scores))[:, None], shape)
    s2 = np.broadcast_to((np.ones(len(nb)) if scores is None else np.asarray(scores))[None], shape)
    terms = np.stack([corr_box, box_iou, corr_joint, joint_iou, s1, s2], -1)
    w = np.where(np.asarray(prev_from_last_frame, bool)[:, None], np.array(p.weights_previous)[None],
                 np.array(p.weights_older)[None])
    return PoseFlowCosts((terms * w[:, None, :]).sum(-1), box_iou, joint_iou, corr_box, corr_joint)


def poseflow_matches(cost: np.ndarray, accept: float = PoseFlowParams.accept) -> np.ndarray:
    """(R,2) pairs (previous row, new column) the Hungarian method picks to maximise the grade, above
    `accept`."""
    if not cost.size:
        return np.zeros((0, 2), np.int64)
    rows, cols = linear_sum_assignment(-cost)
    ok = cost[rows, cols] > accept
    return np.stack([rows[ok], cols[ok]], 1).astype(np.int64)


def _squares(ka: np.ndarray, kb: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """The +-half squares around the joints, broadcast (A,1,K,4) against (1,B,K,4)."""
    return (np.concatenate([ka - half, ka + half], -1)[:, None],
            np.concatenate([kb - half, kb + half], -1)[None])


def _best_mean(per_joint: np.ndarray, best: int) -> np.ndarray:
    k = min(best, per_joint.shape[-1])
    return -np.sort(-per_joint, axis=-1)[..., :k].mean(-1)


def _inside(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(B,M) whether each point lies in each box (edges included)."""
    x, y = points[None, :, 0], points[None, :, 1]
    b = boxes[:, None, :]
    return (x >= b[..., 0]) & (x <= b[..., 2]) & (y >= b[..., 1]) & (y <= b[..., 3])


def _corr_iou(in_a: np.ndarray, in_b: np.ndarray) -> np.ndarray:
    """IoU of two regions through correspondences: both ends inside / either end inside."""
    a, b = in_a.astype(np.float32), in_b.astype(np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def _joint_iou(ka: np.ndarray, kb: np.ndarray, half: float, corr) -> np.ndarray:
    """(A,B,K) IoU of the +-half squares around each joint of poses ka (A,K,2) and kb (B,K,2) through
    correspondences, or with None the identity correspondence: every pixel of the truncated squares."""
    sa = np.concatenate([ka - half, ka + half], -1)  # (A,K,4)
    sb = np.concatenate([kb - half, kb + half], -1)
    if corr is None:
        return aligned_iou(np.trunc(sa)[:, None], np.trunc(sb)[None], True)
    ia = _inside(corr[0], sa.reshape(-1, 4)).reshape(len(ka), ka.shape[1], -1)
    ib = _inside(corr[1], sb.reshape(-1, 4)).reshape(len(kb), kb.shape[1], -1)
    used = ia.any((0, 1)) | ib.any((0, 1))  # matches far from every joint add nothing
    ia, ib = ia[..., used].astype(np.float32), ib[..., used].astype(np.float32)
    inter = np.einsum("akm,bkm->abk", ia, ib)
    union = ia.sum(-1)[:, None] + ib.sum(-1)[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)

