"""OKS-based pose NMS, the alternative to parametric pose NMS.

OKS between two poses = mean over keypoints of exp(-d^2 / (2 * s * (2 sigma)^2)),
s = the mean area of the two poses, sigmas per keypoint format (skeletons).
"""
from __future__ import annotations

import numpy as np

from alphapose_ros.core.skeletons import get_format


def sigmas_for(num_keypoints: int) -> np.ndarray:
    """OKS sigmas of the format with this many keypoints."""
    s = get_format(num_keypoints).oks_sigmas
    if s is None:
        raise ValueError(f"no OKS sigmas are defined for {num_keypoints}-keypoint poses")
    return s


def oks(g: np.ndarray, d: np.ndarray, area_g: float, area_d: np.ndarray, sigmas: np.ndarray,
        vis_thresh: float | None = None) -> np.ndarray:
    """OKS of one pose g (3K flat x,y,v) against poses d (M,3K).

    With vis_thresh, only keypoints whose *detection* visibility exceeds it count (what
    AlphaPose's filter evaluates to); a pose with none gets 0.
    """
    g = np.asarray(g, np.float64).reshape(-1, 3)
    d = np.asarray(d, np.float64).reshape(len(d), len(g), 3)
    var = (np.asarray(sigmas, np.float64) * 2) ** 2
    area = (float(area_g) + np.asarray(area_d, np.float64).reshape(-1)) / 2 + np.spacing(1)
    e = ((d[..., 0] - g[:, 0]) ** 2 + (d[..., 1] - g[:, 1]) ** 2) / var / area[:, None] / 2
    if vis_thresh is None:
        return np.exp(-e).mean(1) if e.shape[1] else np.zeros(len(d))
    keep = d[..., 2] > vis_thresh
    cnt = keep.sum(1)
    return np.where(cnt > 0, (np.exp(-e) * keep).sum(1) / np.maximum(cnt, 1), 0.0)


def oks_nms(keypoints: np.ndarray, scores: np.ndarray, areas: np.ndarray, thresh: float = 0.9,
            sigmas: np.ndarray | None = None, vis_thresh: float | None = None) -> np.ndarray:
    """Greedy OKS NMS; returns kept indices in keep order. keypoints (N,3K) or (N,K,3)."""
    kp = np.asarray(keypoints, np.float64).reshape(len(scores), -1)
    sig = sigmas_for(kp.shape[1] // 3) if sigmas is None else sigmas
    order = np.asarray(scores).argsort()[::-1]
    keep = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        ovr = oks(kp[i], kp[order[1:]], areas[i], np.asarray(areas)[order[1:]], sig, vis_thresh)
        order = order[1:][ovr <= thresh]
    return np.array(keep, int)


def soft_oks_nms(keypoints: np.ndarray, scores: np.ndarray, areas: np.ndarray, thresh: float = 0.9,
                 max_dets: int = 20, sigmas: np.ndarray | None = None,
                 vis_thresh: float | None = None) -> np.ndarray:
    """Soft OKS NMS with Gaussian rescoring score * exp(-oks^2 / thresh); kept indices."""
    kp = np.asarray(keypoints, np.float64).reshape(len(scores), -1)
    sig = sigmas_for(kp.shape[1] // 3) if sigmas is None else sigmas
    areas = np.asarray(areas)
    order = np.asarray(scores).argsort()[::-1]
    sc = np.asarray(scores, np.float64)[order]
    keep = []
    while order.size and len(keep) < max_dets:
        i = order[0]
        ovr = oks(kp[i], kp[order[1:]], areas[i], areas[order[1:]], sig, vis_thresh)
        order, sc = order[1:], sc[1:] * np.exp(-(ovr ** 2) / thresh)
        resort = sc.argsort()[::-1]
        order, sc = order[resort], sc[resort]
        keep.append(int(i))
    return np.array(keep, int)


def rescore(box_scores: np.ndarray, keypoint_scores: np.ndarray, vis_thresh: float = 0.2) -> np.ndarray:
    """AlphaPose's OKS-NMS person score: box score x the mean of the keypoint scores above vis_thresh
    (0 when none is)."""
    ks = np.asarray(keypoint_scores, np.float64)
    vis = ks > vis_thresh
    cnt = vis.sum(1)
    return np.asarray(box_scores, np.float64) * np.where(cnt > 0, (ks * vis).sum(1) / np.maximum(cnt, 1), 0.0)


def rescored_oks_nms(image_ids: np.ndarray, scores: np.ndarray, keypoints: np.ndarray, areas: np.ndarray,
                     vis_thresh: float = 0.2, thresh: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """validate.py's `--oks-nms` on COCO-style records: rescore each pose as box score x mean
    of its keypoint scores above vis_thresh, then OKS NMS per image (images in first-seen
    order). Returns kept record indices (output order) and every record's new score."""
    kp = np.asarray(keypoints, np.float64).reshape(len(scores), -1, 3)
    rescored = rescore(scores, kp[..., 2], vis_thresh)
    ids = np.asarray(image_ids)
    kept = []
    for img in dict.fromkeys(ids.tolist()):
        idx = np.flatnonzero(ids == img)
        keep = oks_nms(kp[idx].reshape(len(idx), -1), rescored[idx], np.asarray(areas)[idx], thresh,
                       vis_thresh=vis_thresh)
        kept.extend(idx[keep].tolist())
    return np.array(kept, int), rescored


def oks_nms_records(records: list[dict], vis_thresh: float = 0.2, thresh: float = 0.9) -> list[dict]:
    """AlphaPose-format result records after `rescored_oks_nms` (validate.py's --oks-nms): per image, each
    record's score rescored and the records its OKS suppresses dropped; areas from the records' boxes (their
    keypoints' extent where a record has none)."""
    if not records:
        return []
    ids = np.array([str(r["image_id"]) for r in records])
    scores = np.array([r["score"] for r in records], np.float64)
    keypoints = np.array([r["keypoints"] for r in records], np.float64)
    xy = keypoints.reshape(len(records), -1, 3)[..., :2]
    extent = xy.max(1) - xy.min(1)
    areas = np.array([r["box"][2] * r["box"][3] if "box" in r else extent[i, 0] * extent[i, 1]
                      for i, r in enumerate(records)], np.float64)
    kept, rescored = rescored_oks_nms(ids, scores, keypoints, areas, vis_thresh, thresh)
    return [{**records[i], "score": float(rescored[i])} for i in kept]
