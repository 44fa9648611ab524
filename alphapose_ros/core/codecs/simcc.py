"""SimCC decoding (RTMPose, RTMW, DWPose): a keypoint's x and y are classified separately over bins
`split_ratio` times finer than the input's pixels; the location is the arg-max bin of each axis and the
score the mean of the two maxima (as rtmlib 0.0.16 scores them). Vectorised over people and keypoints."""
from __future__ import annotations

import numpy as np


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray,
                 split_ratio: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(N,K,Wx), (N,K,Wy) bin scores -> keypoints (N,K,2) in input pixels and scores (N,K).

    A keypoint whose score is <= 0 gets the bin -1 on both axes (as the reference decoder marks it);
    its score says it is not there."""
    n, k, _ = simcc_x.shape
    bins_x = simcc_x.argmax(-1)
    bins_y = simcc_y.argmax(-1)
    max_x = np.take_along_axis(simcc_x, bins_x[..., None], -1)[..., 0]
    max_y = np.take_along_axis(simcc_y, bins_y[..., None], -1)[..., 0]
    scores = 0.5 * (max_x + max_y)
    bins = np.stack([bins_x, bins_y], -1).astype(np.float32)
    bins[scores <= 0] = -1
    return bins / np.float32(split_ratio), scores.astype(np.float32)
