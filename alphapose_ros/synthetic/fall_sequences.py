"""Synthetic fall-detection sequences: people walking, sitting down, bending, lying down slowly and falling.

Each sequence is a COCO-17 skeleton animated at 30 fps in the image plane (a side-on kinematic figure:
hip centre, torso angle, thigh and shin angles), at a random distance (100-400 px per metre) and body size,
with 2 px keypoint noise; durations, speeds and directions vary per sequence. What bench.falls measures
the fall rule on, and what the tests check it with (on seeds the rule was not tuned on)."""
from __future__ import annotations

import numpy as np

CLASSES = ("walking", "sitting down", "bending", "lying down slowly", "falling")
FPS = 30.0


def skeleton(hip: np.ndarray, torso: float, thigh: float, shin: float, facing: float, size: float) -> np.ndarray:
    """(17,2) COCO-17 points in metres (y up) of a figure with these angles (radians from vertical)."""
    up = np.array([np.sin(torso) * facing, np.cos(torso)])
    side = np.array([up[1], -up[0]]) * 0.08  # a little width, as a turned body shows
    sh = hip + 0.52 * size * up
    head = sh + 0.2 * size * up
    knee = hip + 0.45 * size * np.array([np.sin(thigh) * facing, -np.cos(thigh)])
    ankle = knee + 0.45 * size * np.array([np.sin(shin) * facing, -np.cos(shin)])
    elbow = sh - 0.28 * size * up + 0.05 * side
    wrist = elbow - 0.25 * size * up + 0.05 * side
    p = np.zeros((17, 2))
    p[0] = head + 0.05 * size * np.array([facing, 0.0])
    p[1], p[2] = head + side * 0.4, head - side * 0.4
    p[3], p[4] = head + side * 0.8, head - side * 0.8
    p[5], p[6] = sh + side, sh - side
    p[7], p[8] = elbow + side, elbow - side
    p[9], p[10] = wrist + side, wrist - side
    p[11], p[12] = hip + side * 0.6, hip - side * 0.6
    p[13], p[14] = knee + side * 0.6, knee - side * 0.6
    p[15], p[16] = ankle + side * 0.6, ankle - side * 0.6
    return p


def _ease(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def sequence(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, float | None]:
    """(T,17,2) image points (px, y down) of one sequence and, for a fall, the time the hips reach the ground."""
    size = rng.uniform(0.85, 1.1)
    facing = rng.choice([-1.0, 1.0])
    t = np.arange(0, rng.uniform(4.0, 6.0), 1 / FPS)
    n = len(t)
    hip = np.zeros((n, 2))
    hip[:, 1] = 0.92 * size
    torso = np.full(n, rng.normal(0.0, 0.03))
    thigh = np.zeros(n)
    shin = np.zeros(n)
    start = rng.uniform(0.8, 1.5)
    landed = None
    if kind == "walking":
        speed = rng.uniform(0.6, 1.5)
        hip[:, 0] = facing * speed * t
        phase = 2 * np.pi * speed / 1.3 * t
        thigh = 0.35 * np.sin(phase)
        shin = thigh - 0.2 * np.abs(np.sin(phase))
        hip[:, 1] -= 0.03 * size * np.abs(np.sin(phase))
    elif kind == "sitting down":
        dur = rng.uniform(0.8, 1.6)
        u = _ease((t - start) / dur)
        hip[:, 1] -= u * rng.uniform(0.4, 0.5) * size
        thigh = u * np.pi / 2
        torso += u * rng.uniform(0.1, 0.35)
    elif kind == "bending":
        dur = rng.uniform(0.6, 1.2)
        u = _ease((t - start) / dur) - _ease((t - start - dur - rng.uniform(0.5, 1.5)) / dur)
        torso += u * rng.uniform(1.2, 1.5)
        hip[:, 0] -= facing * u * 0.1 * size
        hip[:, 1] -= u * 0.05 * size
        thigh = -u * 0.15
    elif kind == "lying down slowly":
        dur = rng.uniform(3.0, 4.5)
        u = (t - start) / dur
        a, b = _ease(u / 0.5), _ease((u - 0.5) / 0.5)  # kneel/sit first, then lie back
        hip[:, 1] -= (0.45 * a + 0.35 * b) * size
        thigh = a * np.pi / 2 * (1 - b) + b * np.pi / 2
        shin = a * np.pi / 2 * 0.3
        torso += b * np.pi / 2
    else:  # falling: hips accelerate to the ground, the body tips over
        dur = rng.uniform(0.6, 1.0)
        u = np.clip((t - start) / dur, 0.0, 1.0)
        hip[:, 1] -= u ** 2 * rng.uniform(0.7, 0.82) * size
        hip[:, 0] += facing * u ** 2 * rng.uniform(0.1, 0.4)
        torso += u ** 1.5 * rng.uniform(1.35, 1.57) * rng.choice([-1.0, 1.0])
        thigh = u * rng.uniform(0.8, 1.5)
        shin = thigh * 0.8
        landed = start + dur
    pts = np.stack([skeleton(hip[i], torso[i], thigh[i], shin[i], facing, size) for i in range(n)])
    px_per_m = rng.uniform(100.0, 400.0)
    img = np.empty_like(pts)
    img[..., 0] = 400 + pts[..., 0] * px_per_m
    img[..., 1] = 500 - pts[..., 1] * px_per_m  # y down
    img += rng.normal(0.0, 2.0, img.shape)
    return img.astype(np.float32), landed
