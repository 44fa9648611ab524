"""Keypoint AP of a pose model through the whole pose pipeline (crop, network, decode, pose
NMS), with jittered ground-truth boxes standing in for a detector's."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from alphapose_ros.core.pose.estimator import PoseEstimator
from alphapose_ros.core.io.results import alphapose_records
from alphapose_ros.core.models.config import PoseModelConfig
from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig, nms_params_for
from alphapose_ros.core.training.datasets import KeypointDataset
from alphapose_ros.core.training.evaluate import keypoint_stats, part_stats


def jittered_boxes(boxes: np.ndarray, rng: np.random.Generator, jitter: float = 0.05) -> np.ndarray:
    """True boxes with each corner moved by N(0, jitter x box size): detector-like boxes."""
    wh = boxes[:, 2:] - boxes[:, :2]
    return (boxes + rng.normal(size=boxes.shape) * jitter * np.concatenate([wh, wh], 1)).astype(np.float32)


def pipeline_results(estimator, dataset: KeypointDataset, limit: int = 0, jitter: float = 0.05, seed: int = 0,
                     nms: str = "parametric", detector=None) -> list[dict]:
    """AlphaPose-format results for the dataset's images (the first `limit`, 0 = all); the boxes are the
    detector's when one is given, else the jittered true ones."""
    by_image: dict[int, list] = {}
    for s in dataset.samples:
        by_image.setdefault(s.image_id, []).append(s)
    ids = sorted(by_image)[:limit or None]
    rng = np.random.default_rng(seed)
    frames = []
    for i in ids:
        image = cv2.imread(str(by_image[i][0].image_path))
        if detector is not None:
            frames.append(Frame(str(i), 0.0, image))
            continue
        boxes = jittered_boxes(np.stack([s.box for s in by_image[i]]), rng, jitter)
        frames.append(Frame(str(i), 0.0, image, boxes, np.full(len(boxes), 0.9, np.float32)))
    params = nms_params_for(estimator, score_thresh=0.0)
    pipe = FramePipeline(estimator, detector, PoseNMSConfig(nms, params))
    out = []
    for item in pipe.run(frames, concurrent=False):
        if item.error is None:
            out += alphapose_records(int(item.payload.name), item.data["poses"], item.data["merged"])
    return out


def body_parts(fmt) -> dict[str, np.ndarray]:
    """Keypoint indices of each part scored apart: the format's parts, the two hands together as "hands"."""
    parts = {name: np.arange(s, e) for name, s, e in fmt.parts}
    if "left_hand" in parts and "right_hand" in parts:
        parts["hands"] = np.concatenate([parts.pop("left_hand"), parts.pop("right_hand")])
    return parts


def evaluate_model(model: torch.nn.Module | PoseEstimator, cfg: PoseModelConfig, dataset: KeypointDataset,
                   limit: int = 0, jitter: float = 0.05, seed: int = 0, detector=None, parts: bool = False
                   ) -> dict[str, float]:
    """COCO keypoint AP/AR (the format's sigmas) of `model` (a network, or an estimator running it with any
    engine) on `dataset` through the pipeline, on a detector's boxes when one is given; with `parts`, also
    each body part's AP (keys "part_AP_<part>")."""
    est = model if isinstance(model, PoseEstimator) else PoseEstimator(cfg, model, batch_size=64)
    with torch.no_grad():
        results = pipeline_results(est, dataset, limit, jitter, seed, detector=detector)
    gt = dataset.ground_truth()
    if limit:
        keep = set(sorted(im["id"] for im in gt["images"])[:limit])
        gt = {**gt, "images": [im for im in gt["images"] if im["id"] in keep],
              "annotations": [a for a in gt["annotations"] if a["image_id"] in keep]}
    stats = keypoint_stats(gt, results, dataset.target.oks_sigmas)
    if parts:
        for name, index in body_parts(dataset.target).items():
            stats[f"part_AP_{name}"] = part_stats(gt, results, dataset.target.oks_sigmas, index)["AP"]
    return stats
