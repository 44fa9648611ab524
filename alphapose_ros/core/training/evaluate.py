"""COCO keypoint evaluation (pycocotools) with any keypoint format's OKS sigmas.

Input: a COCO-format ground-truth dict and results in AlphaPose's format (what
alphapose-infer writes: image_id, category_id, flat keypoints, score). Works for the pose
estimator alone (ground-truth boxes as the detfile) and for the whole pipeline.
"""
from __future__ import annotations

import contextlib
import copy
import io

import numpy as np

STAT_NAMES = ("AP", "AP50", "AP75", "AP_medium", "AP_large", "AR", "AR50", "AR75", "AR_medium", "AR_large")


def keypoint_stats(gt: dict, results: list[dict], sigmas: np.ndarray) -> dict[str, float]:
    """COCO keypoint AP/AR (OKS 0.50:0.95 and the usual breakdown) of `results` against `gt`."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    k = len(sigmas)
    bad = [r for r in results if len(r["keypoints"]) != 3 * k]
    if bad:
        raise ValueError(f"results have {len(bad[0]['keypoints']) // 3} keypoints, the format has {k}")
    if not results:
        return {n: 0.0 for n in STAT_NAMES}
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        dt = coco.loadRes(copy.deepcopy(results))
        ev = COCOeval(coco, dt, "keypoints")
        ev.params.kpt_oks_sigmas = np.asarray(sigmas, np.float64)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return {n: float(v) for n, v in zip(STAT_NAMES, ev.stats)}


def keypoint_ap(gt: dict, results: list[dict], sigmas: np.ndarray) -> float:
    """COCO keypoint AP (OKS 0.50:0.95)."""
    return keypoint_stats(gt, results, sigmas)["AP"]
