"""Pose-NMS input as a low-threshold detector makes it: each person proposed several times, jittered."""
from __future__ import annotations

import numpy as np


def random_candidates(n: int, k: int, seed: int = 0):
    """n candidates: people with 3 jittered duplicates each, as low-threshold detection makes."""
    rng = np.random.default_rng(seed)
    people = max(1, n // 3)
    base = np.stack([np.stack([rng.uniform(0, 1200, 1) + rng.uniform(0, 80, k),
                               rng.uniform(0, 500, 1) + rng.uniform(0, 200, k)], -1) for _ in range(people)])
    idx = np.arange(n) % people
    kp = base[idx] + rng.normal(0, 1.0, (n, k, 2))
    boxes = np.concatenate([kp.min(1), kp.max(1)], 1)
    return boxes, rng.uniform(0.3, 1, n), kp, rng.uniform(0.2, 1, (n, k))
