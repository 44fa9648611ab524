"""Synthetic multi-person sequences with exact identities, for measuring trackers.

People walk in straight lines (with a little wobble), enter and leave, and in crossing scenes
walk towards each other on nearly the same line so that their boxes overlap and the farther one
is hidden for a few frames. Detections are the true boxes with noise, misses and false
positives; poses are a COCO-17 stick figure in each box with noise; embeddings are a fixed
unit vector per person plus noise (what a re-ID network would give, without the network).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# COCO-17 keypoints as fractions of the box (x, y), a person facing the camera
FIGURE = np.array([[.50, .07], [.54, .05], [.46, .05], [.58, .07], [.42, .07], [.68, .22], [.32, .22],
                   [.76, .38], [.24, .38], [.78, .52], [.22, .52], [.62, .55], [.38, .55], [.62, .75],
                   [.38, .75], [.62, .95], [.38, .95]])


@dataclass(frozen=True)
class SceneSpec:
    people: int = 5
    frames: int = 200
    fps: float = 30.0
    width: int = 1280
    height: int = 720
    crossing: bool = True         # people walk towards each other in pairs
    turn_back: float = 0.5        # chance that one of a crossing pair turns back where they meet
    box_noise: float = 0.03       # detection box noise, fraction of the box size
    miss_rate: float = 0.05       # detections dropped at random
    false_positives: float = 0.05  # expected false boxes per frame
    occlusion: float = 0.5        # a box covered more than this by a nearer one is not detected
    embedding_dim: int = 128
    embedding_noise: float = 0.35  # per-dimension noise relative to 1/sqrt(dim): cosine distance ~0.1
    seed: int = 0


@dataclass
class SceneFrame:
    t: float
    gt_ids: np.ndarray          # (G,)
    gt_boxes: np.ndarray        # (G,4)
    boxes: np.ndarray           # (N,4) detections
    scores: np.ndarray          # (N,)
    keypoints: np.ndarray       # (N,17,2)
    kp_scores: np.ndarray       # (N,17)
    embeddings: np.ndarray      # (N,D)
    det_gt: np.ndarray          # (N,) gt id per detection, -1 for false positives


def _paths(spec: SceneSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per person: box centre (F,2), box height (scalar per person) and visibility (F,) over frames."""
    f = np.arange(spec.frames)
    centres = np.zeros((spec.people, spec.frames, 2))
    # smaller people in bigger crowds, so that a crowd still fits the frame
    heights = rng.uniform(0.25, 0.45, spec.people) * spec.height * min(1.0, np.sqrt(5 / max(spec.people, 1)))
    alive = np.zeros((spec.people, spec.frames), bool)
    for p in range(spec.people):
        start = 0 if p < max(2, spec.people // 2) else int(rng.integers(0, spec.frames // 2))
        end = spec.frames if p % 3 else int(rng.integers(start + spec.frames // 3, spec.frames + 1))
        alive[p, start:end] = True
        lanes = max(3, (spec.people + 1) // 2)
        y = rng.uniform(0.35, 0.65) * spec.height
        if spec.crossing:  # pairs on (nearly) the same line, walking towards each other
            y = (0.25 + 0.5 * ((p // 2) % lanes) / max(lanes - 1, 1)) * spec.height \
                + (p % 2) * rng.uniform(0.02, 0.06) * spec.height
        left_to_right = (p % 2 == 0) if spec.crossing else rng.random() < 0.5
        x0, x1 = (0.1, 0.9) if left_to_right else (0.9, 0.1)
        s = np.clip((f - start) / max(end - start - 1, 1), 0, 1)
        if spec.crossing and p % 2 and rng.random() < spec.turn_back:
            s = 0.5 - np.abs(s - 0.5)  # walks to the middle, meets its partner, turns back
        wobble = 0.01 * spec.height * np.sin(f / spec.fps * 2 * np.pi * rng.uniform(0.5, 1.5) + rng.uniform(0, 6))
        centres[p, :, 0] = (x0 + (x1 - x0) * s) * spec.width
        centres[p, :, 1] = y + wobble
    return centres, heights, alive


def make_scene(spec: SceneSpec = SceneSpec()) -> list[SceneFrame]:
    rng = np.random.default_rng(spec.seed)
    centres, heights, alive = _paths(spec, rng)
    identity = rng.normal(size=(spec.people, spec.embedding_dim))
    identity /= np.linalg.norm(identity, axis=1, keepdims=True)
    frames = []
    for k in range(spec.frames):
        ids = np.flatnonzero(alive[:, k])
        h = heights[ids]
        wh = np.stack([0.4 * h, h], 1)
        gt = np.concatenate([centres[ids, k] - wh / 2, centres[ids, k] + wh / 2], 1)
        visible = _visible(gt, spec.occlusion)
        keep = visible & (rng.random(len(ids)) >= spec.miss_rate)
        det_ids, det = ids[keep], gt[keep]
        size = np.repeat(det[:, 2:] - det[:, :2], 2, 0).reshape(-1, 4) if len(det) else np.zeros((0, 4))
        det = det + rng.normal(size=det.shape) * spec.box_noise * size
        n_fp = rng.poisson(spec.false_positives)
        fp_c = rng.uniform([0, 0], [spec.width, spec.height], (n_fp, 2))
        fp_h = rng.uniform(0.2, 0.4, n_fp) * spec.height
        fp = np.concatenate([fp_c - np.stack([0.2 * fp_h, 0.5 * fp_h], 1), fp_c + np.stack([0.2 * fp_h, 0.5 * fp_h], 1)], 1)
        boxes = np.concatenate([det, fp]).reshape(-1, 4)
        det_gt = np.concatenate([det_ids, -np.ones(n_fp, int)])
        bw = (boxes[:, 2:] - boxes[:, :2])[:, None]
        kps = boxes[:, None, :2] + FIGURE[None] * bw + rng.normal(size=(len(boxes), 17, 2)) * 0.02 * bw
        emb = np.concatenate([identity[det_ids], rng.normal(size=(n_fp, spec.embedding_dim))]).reshape(-1, spec.embedding_dim)
        emb = emb + rng.normal(size=emb.shape) * spec.embedding_noise / np.sqrt(spec.embedding_dim)
        frames.append(SceneFrame(k / spec.fps, ids, gt, boxes, rng.uniform(0.5, 1.0, len(boxes)), kps,
                                 rng.uniform(0.4, 1.0, (len(boxes), 17)), emb, det_gt))
    return frames


def _visible(boxes: np.ndarray, limit: float) -> np.ndarray:
    """False for a box covered more than `limit` (its own area) by a nearer box (lower bottom edge)."""
    out = np.ones(len(boxes), bool)
    for i, b in enumerate(boxes):
        near = boxes[boxes[:, 3] > b[3]]
        if len(near):
            iw = np.clip(np.minimum(b[2], near[:, 2]) - np.maximum(b[0], near[:, 0]), 0, None)
            ih = np.clip(np.minimum(b[3], near[:, 3]) - np.maximum(b[1], near[:, 1]), 0, None)
            out[i] = (iw * ih).max() / ((b[2] - b[0]) * (b[3] - b[1])) <= limit
    return out


def scene_textures(spec: SceneSpec) -> tuple[np.ndarray, list[np.ndarray]]:
    """A static background and one texture per person (blocky, so that ORB finds corners),
    for rendering frames that image-based trackers (PoseFlow) can see."""
    import cv2

    rng = np.random.default_rng(spec.seed + 1000)
    bg = rng.integers(60, 120, (spec.height // 24 + 1, spec.width // 24 + 1, 3), dtype=np.uint8)
    bg = cv2.resize(bg, (spec.width, spec.height), interpolation=cv2.INTER_NEAREST)
    tex = [cv2.resize(rng.integers(0, 256, (20, 8, 3), dtype=np.uint8), (64, 160), interpolation=cv2.INTER_NEAREST)
           for _ in range(spec.people)]
    return bg, tex


def render(frame: SceneFrame, background: np.ndarray, textures: list[np.ndarray]) -> np.ndarray:
    """The frame's true people drawn as their textures over the background, farther first."""
    import cv2

    img = background.copy()
    h, w = img.shape[:2]
    for i in np.argsort(frame.gt_boxes[:, 3]):
        x0, y0, x1, y1 = np.round(frame.gt_boxes[i]).astype(int)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        patch = cv2.resize(textures[frame.gt_ids[i]], (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if cx1 > cx0 and cy1 > cy0:
            img[cy0:cy1, cx0:cx1] = patch[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
    return img
