"""Data-driven search of the parametric pose NMS parameters (paper section 3.4).

Given ground truth and redundant candidate poses in COCO format, pick the parameters
that maximise keypoint AP (pycocotools, with the format's OKS sigmas): optimise two
parameters at a time on a multiplicative grid around their current values, the others
fixed, cycling through the pairs until a whole cycle changes nothing.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from itertools import product

import numpy as np

from alphapose_ros.core.nms.parametric import PoseNMSParams, parametric_pose_nms
from alphapose_ros.core.training.evaluate import keypoint_ap

# the paper's four (sigma_1, sigma_2, lambda, eta) first, then the PCK rule AlphaPose adds
PAIRS = (("delta1", "delta2"), ("mu", "gamma"), ("match_thresh", "alpha"))
# wide multiplicative steps: a start in a flat region (nothing suppressed) can still leave it
STEPS = (1 / 64, 1 / 8, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 8.0)


@dataclass
class Candidates:
    """Candidate poses grouped by image: image_id -> arrays (boxes xyxy, box scores, keypoints, scores)."""

    images: dict

    @classmethod
    def from_records(cls, records: list[dict]) -> "Candidates":
        """From AlphaPose-format records (`box` [x,y,w,h], `keypoints` flat). The box score is `box_score`
        (alphapose-infer writes it); without it, `score` is AlphaPose's proposal score (mean + box score +
        1.25 x max of the keypoint scores) and the box score is recovered from it, so that pose NMS, which
        adds the box score into the proposal score again, does not count it twice."""
        by_img: dict = defaultdict(list)
        for r in records:
            by_img[r["image_id"]].append(r)
        images = {}
        for img, rs in by_img.items():
            kp = np.array([r["keypoints"] for r in rs], np.float64).reshape(len(rs), -1, 3)
            boxes = np.array([[r["box"][0], r["box"][1], r["box"][0] + r["box"][2], r["box"][1] + r["box"][3]]
                              for r in rs], np.float64)
            ks = kp[..., 2]
            proposal = np.array([r.get("score", 1.0) for r in rs], np.float64)
            recovered = proposal - ks.mean(1) - 1.25 * ks.max(1)
            scores = np.array([r.get("box_score", b) for r, b in zip(rs, recovered)], np.float64)
            images[img] = (boxes, scores, kp[..., :2], kp[..., 2])
        return cls(images)


def run_nms(cands: Candidates, params: PoseNMSParams) -> list[dict]:
    """COCO keypoint results after pose NMS with `params`."""
    out = []
    for img, (boxes, scores, kp, ks) in cands.images.items():
        r = parametric_pose_nms(boxes, scores, kp, ks, params)
        for j in range(len(r.picks)):
            flat = np.concatenate([r.keypoints[j], r.keypoint_scores[j][:, None]], 1).reshape(-1)
            out.append({"image_id": img, "category_id": 1, "keypoints": flat.tolist(),
                        "score": float(r.proposal_scores[j])})
    return out


@dataclass
class SearchResult:
    params: PoseNMSParams
    ap: float
    start_ap: float
    evaluations: int
    cycles: int


def search(gt: dict, cands: Candidates, start: PoseNMSParams, sigmas: np.ndarray, max_cycles: int = 10,
           pairs=PAIRS, steps=STEPS, log=None) -> SearchResult:
    """Coordinate search over parameter pairs until a full cycle brings no improvement."""
    cache: dict = {}

    def ap_of(p: PoseNMSParams) -> float:
        key = tuple(sorted(asdict(p).items()))
        if key not in cache:
            cache[key] = keypoint_ap(gt, run_nms(cands, p), sigmas)
        return cache[key]

    best, best_ap = start, ap_of(start)
    start_ap = best_ap
    cycles = 0
    for cycles in range(1, max_cycles + 1):
        changed = False
        for a, b in pairs:
            for fa, fb in product(steps, steps):
                cand = replace(best, **{a: getattr(best, a) * fa, b: getattr(best, b) * fb})
                ap = ap_of(cand)
                if ap > best_ap + 1e-9:
                    best, best_ap, changed = cand, ap, True
            if log:
                log(f"cycle {cycles}, pair {a}/{b}: AP {best_ap:.4f}")
        if not changed:
            break
    return SearchResult(best, best_ap, start_ap, len(cache), cycles)


def params_yaml(p: PoseNMSParams) -> dict:
    """The tunable parameters, as the pose_nms node's params_file and PoseNMSParams accept them."""
    keys = ("delta1", "mu", "delta2", "gamma", "score_thresh", "match_thresh", "alpha")
    out = {k: float(getattr(p, k)) for k in keys}
    if p.formula != "alphapose":
        out["formula"] = p.formula
    if p.fixed_match_norm:
        out["fixed_match_norm"] = True
    return out


def synthetic_set(num_images: int = 12, people: int = 3, duplicates: int = 3, k: int = 17,
                  seed: int = 0) -> tuple[dict, Candidates]:
    """A small COCO-style set with known redundancy: every person is seen `duplicates` times
    (one close estimate, the others jittered), with scores unrelated to quality, as
    low-threshold detection produces: un-suppressed copies then outrank other people's
    good poses and cost AP. Returns (ground truth dict, candidates)."""
    rng = np.random.default_rng(seed)
    images, anns, records = [], [], []
    aid = 1
    for img in range(1, num_images + 1):
        images.append({"id": img, "width": 640, "height": 480})
        for p in range(people):
            x0, y0 = 40 + p * 200 + rng.uniform(-20, 20), rng.uniform(40, 120)
            kp = np.stack([x0 + rng.uniform(0, 80, k), y0 + rng.uniform(0, 240, k)], -1)
            lo, hi = kp.min(0), kp.max(0)
            anns.append({"id": aid, "image_id": img, "category_id": 1, "iscrowd": 0,
                         "keypoints": np.concatenate([kp, np.full((k, 1), 2.0)], 1).reshape(-1).tolist(),
                         "num_keypoints": k, "bbox": [*lo.tolist(), *(hi - lo).tolist()],
                         "area": float((hi - lo).prod())})
            aid += 1
            for d in range(duplicates):
                dk = kp + rng.normal(0, 1.0 if d == 0 else 6.0, kp.shape)
                sc = rng.uniform(0.6, 0.95, k)
                box = [lo[0] - 5 + rng.normal(0, 4), lo[1] - 5 + rng.normal(0, 4),
                       (hi - lo)[0] + 10 + rng.normal(0, 4), (hi - lo)[1] + 10 + rng.normal(0, 4)]
                records.append({"image_id": img, "category_id": 1, "box": box, "box_score": rng.uniform(0.5, 0.95),
                                "keypoints": np.concatenate([dk, sc[:, None]], 1).reshape(-1).tolist()})
    gt = {"images": images, "annotations": anns,
          "categories": [{"id": 1, "name": "person", "keypoints": [str(i) for i in range(k)], "skeleton": []}]}
    return gt, Candidates.from_records(records)
