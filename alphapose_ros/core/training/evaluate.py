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


def check_inputs(gt: object, results: object, num_keypoints: int) -> None:
    """Raise ValueError, naming the first problem, unless `gt` is a COCO keypoint dataset and `results` are
    person records for its images with `num_keypoints` finite keypoints and a finite score each (pycocotools
    would otherwise fail with an assertion, or rank NaN keypoints as perfect)."""
    if not (isinstance(gt, dict) and isinstance(gt.get("images"), list) and isinstance(gt.get("annotations"), list)):
        raise ValueError("ground truth is not a COCO keypoint dataset (a mapping with images and annotations lists)")
    if not isinstance(results, list):
        raise ValueError("results are not a list of person records (AlphaPose's results format)")
    image_ids = {im.get("id") for im in gt["images"] if isinstance(im, dict)}
    for j, r in enumerate(results):
        if not isinstance(r, dict) or not {"image_id", "keypoints", "score"} <= r.keys():
            raise ValueError(f"result {j}: not a record with image_id, keypoints and score")
        kp = r["keypoints"]
        if not isinstance(kp, list) or len(kp) != 3 * num_keypoints:
            n = len(kp) // 3 if isinstance(kp, list) else "no"
            raise ValueError(f"results have {n} keypoints, the format has {num_keypoints} (result {j})")
        try:
            finite = np.isfinite(np.asarray(kp, np.float64)).all() and np.isfinite(float(r["score"]))
        except (TypeError, ValueError):
            finite = False
        if not finite:
            raise ValueError(f"result {j}: keypoints or score are not finite numbers")
        if r["image_id"] not in image_ids:
            raise ValueError(f"result {j}: image_id {r['image_id']!r} is not in the ground truth")


def keypoint_stats(gt: dict, results: list[dict], sigmas: np.ndarray) -> dict[str, float]:
    """COCO keypoint AP/AR (OKS 0.50:0.95 and the usual breakdown) of `results` against `gt`, after
    check_inputs."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    check_inputs(gt, results, len(sigmas))
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


def part_stats(gt: dict, results: list[dict], sigmas: np.ndarray, index: np.ndarray) -> dict[str, float]:
    """keypoint_stats on the keypoints `index` only (one body part: its sigmas, the person's area as scale),
    as COCO-WholeBody scores body, foot, face and hands apart; people with none of them labelled are not
    counted."""
    index = np.asarray(index)

    def cut(flat):
        return np.asarray(flat, np.float64).reshape(-1, 3)[index]

    anns = []
    for a in gt["annotations"]:
        k = cut(a["keypoints"])
        anns.append({**a, "keypoints": k.reshape(-1).tolist(), "num_keypoints": int((k[:, 2] > 0).sum())})
    res = [{**r, "keypoints": cut(r["keypoints"]).reshape(-1).tolist()} for r in results]
    return keypoint_stats({**gt, "annotations": anns}, res, np.asarray(sigmas)[index])


def keypoint_ap(gt: dict, results: list[dict], sigmas: np.ndarray) -> float:
    """COCO keypoint AP (OKS 0.50:0.95)."""
    return keypoint_stats(gt, results, sigmas)["AP"]
