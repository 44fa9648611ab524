"""Synthetic 3D fall scenes seen by a level camera 1.2 m high: falls in every direction relative to the camera
and the everyday motions a fall detector must not mistake for one.

A COCO-17 figure (hip centre, 3D torso direction, facing, thigh and knee angles, arm reach) is animated at 30
fps in a world frame (X away from the camera, Y to its left, Z up, floor at Z = 0), standing 3-4.5 m ahead
and up to 1 m to the side (walkers never come nearer than 2 m). Falls tip the torso over towards a direction *relative to the camera*: sideways,
towards it, away from it, or diagonal; the hips accelerate to the floor in 0.6-1.0 s. Everyday motions:
walking in any heading, a fast sit (hips down 0.4-0.5 m in 0.35-0.6 s), a squat-and-reach (hips down, torso
forward 40-70 degrees in any heading, arms out, and back up), bending to pick something up (torso forward
80-95 degrees, hips stay), and lying down slowly (3-4.5 s). Out: the camera's 2D keypoints (848x480, f = 615
px, 2 px noise) and 3D keypoints in the optical frame (x right, y down, z forward) with depth-like noise
(1 cm x z / 3 m), plus the world's up vector in that frame. What bench.falls_3d measures; tests use their own
seeds.
"""
from __future__ import annotations

import numpy as np

from alphapose_ros.core.people3d.keypoints_3d import project
from alphapose_ros.synthetic.rgbd_scenes import camera

FPS = 30.0
CAMERA_HEIGHT = 1.2
FALLS = ("fall sideways", "fall towards", "fall away", "fall diagonal")
EVERYDAY = ("walking", "fast sit", "squat and reach", "picking up", "lying down slowly")
DIRECTIONS = {"fall sideways": (0.0, 1.0), "fall towards": (-1.0, 0.0), "fall away": (1.0, 0.0),
              "fall diagonal": (np.sqrt(0.5), np.sqrt(0.5))}
UP_IN_OPTICAL = np.array([0.0, -1.0, 0.0])  # a level camera: world up is image-up


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def figure(hip: np.ndarray, up: np.ndarray, facing: np.ndarray, thigh: float, knee: float, reach: float,
           size: float) -> np.ndarray:
    """(17,3) world points of one pose: torso along `up` from the hip centre, chest towards `facing` (made
    perpendicular to up), legs bent by `thigh` (hip flexion) and `knee` (radians), arms raised by `reach`."""
    u = _unit(up)
    f = _unit(facing - (facing @ u) * u)
    left = np.cross(u, f)
    fh = _unit(np.array([f[0], f[1], 0.0]) if np.hypot(f[0], f[1]) > 1e-6 else np.array([1.0, 0.0, 0.0]))
    down = np.array([0.0, 0.0, -1.0])
    sh = hip + 0.52 * size * u
    head = sh + 0.2 * size * u
    p = np.zeros((17, 3))
    p[0] = head + 0.06 * size * f
    p[1], p[2] = head + 0.03 * f + 0.035 * left, head + 0.03 * f - 0.035 * left
    p[3], p[4] = head + 0.08 * left, head - 0.08 * left
    arm = np.cos(reach) * -u + np.sin(reach) * f
    for side, (s, e, w) in ((1.0, (5, 7, 9)), (-1.0, (6, 8, 10))):
        p[s] = sh + side * 0.19 * size * left
        p[e] = p[s] + 0.28 * size * arm
        p[w] = p[e] + 0.25 * size * arm
    thigh_dir = np.cos(thigh) * down + np.sin(thigh) * fh
    shin_dir = np.cos(thigh - knee) * down + np.sin(thigh - knee) * fh
    for side, (h, k, a) in ((1.0, (11, 13, 15)), (-1.0, (12, 14, 16))):
        p[h] = hip + side * 0.1 * size * left
        p[k] = p[h] + 0.45 * size * thigh_dir
        p[a] = p[k] + 0.45 * size * shin_dir
    return p


def _ease(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def world_sequence(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, float | None]:
    """(T,17,3) world points of one sequence, and for a fall the time its hips reach the floor."""
    if kind not in FALLS + EVERYDAY:
        raise ValueError(f"unknown motion {kind!r}: {', '.join(FALLS + EVERYDAY)}")
    size = rng.uniform(0.9, 1.1)
    t = np.arange(0, rng.uniform(4.5, 6.0), 1 / FPS)
    start = rng.uniform(1.0, 1.8)
    hip0 = np.array([rng.uniform(3.0, 4.5), rng.uniform(-1.0, 1.0), 0.92 * size])
    heading = rng.uniform(-np.pi, np.pi)
    facing = np.array([np.cos(heading), np.sin(heading), 0.0])
    if kind == "walking" and hip0[0] + facing[0] * 1.5 * t[-1] < 2.0:
        facing[0] = abs(facing[0])  # walkers towards the camera would reach it: they walk away instead
    z = np.array([0.0, 0.0, 1.0])
    r = rng.uniform(0.0, 1.0, 6)  # this sequence's durations, depths and angles, whatever its kind
    landed = None
    if kind in FALLS:
        d = DIRECTIONS[kind]
        fall_dir = np.array([d[0], d[1] * (1.0 if r[0] < 0.5 else -1.0), 0.0])
        backwards = r[1] < 0.5
        dur = 0.6 + 0.4 * r[2]
        landed = start + dur
    frames = []
    for ti in t:
        hip, up, f, thigh, knee, reach = hip0.copy(), z, facing, 0.0, 0.0, 0.0
        if kind == "walking":
            phase = 4.0 * ti
            hip += facing * (0.8 + 0.7 * r[0]) * ti - z * 0.03 * abs(np.sin(phase))
            thigh, knee, reach = 0.35 * np.sin(phase), 0.3 * abs(np.sin(phase)), 0.2 * np.sin(phase)
        elif kind in FALLS:  # hips accelerate to the floor while the torso tips over towards fall_dir
            u = float(np.clip((ti - start) / dur, 0.0, 1.0))
            hip += fall_dir * (0.1 + 0.3 * r[3]) * u ** 2 - z * (0.72 + 0.08 * r[4]) * size * u ** 2
            a = (1.35 + 0.22 * r[5]) * u ** 1.5
            up = np.cos(a) * z + np.sin(a) * fall_dir
            f = -fall_dir if backwards else fall_dir
            thigh, knee, reach = (-0.6 * u if backwards else 1.2 * u), 0.8 * u, 1.2 * u
        elif kind == "fast sit":
            u = float(_ease((ti - start) / (0.35 + 0.25 * r[0])))
            hip -= z * (0.4 + 0.1 * r[1]) * size * u
            up = _unit(z + np.tan((0.15 + 0.3 * r[2]) * u) * facing)
            thigh = knee = 1.5 * u
        elif kind == "squat and reach":
            dur, hold, lean = 0.6 + 0.3 * r[0], 0.8 + 0.7 * r[1], 0.7 + 0.5 * r[2]
            u = float(_ease((ti - start) / dur) - _ease((ti - start - dur - hold) / dur))
            hip -= z * 0.5 * size * u + facing * 0.1 * u
            up = np.cos(lean * u) * z + np.sin(lean * u) * facing
            thigh, knee, reach = 1.6 * u, 2.0 * u, 1.4 * u
        elif kind == "picking up":
            dur, hold, lean = 0.6 + 0.4 * r[0], 0.5 + 0.7 * r[1], 1.4 + 0.25 * r[2]
            u = float(_ease((ti - start) / dur) - _ease((ti - start - dur - hold) / dur))
            hip -= z * 0.06 * size * u + facing * 0.12 * u
            up = np.cos(lean * u) * z + np.sin(lean * u) * facing
            thigh, reach = -0.15 * u, 1.5 * u
        else:  # lying down slowly: kneel / sit first, then lie back
            u = (ti - start) / (3.0 + 1.5 * r[0])
            a, b = float(_ease(u / 0.5)), float(_ease((u - 0.5) / 0.5))
            hip -= z * (0.45 * a + 0.35 * b) * size
            up = np.cos(b * 1.5) * z - np.sin(b * 1.5) * facing
            thigh = knee = 1.5 * a * (1 - b)
        frames.append(figure(hip, up, f, thigh, knee, reach, size))
    return np.stack(frames), landed


def to_optical(world: np.ndarray) -> np.ndarray:
    """World points (X forward, Y left, Z up) -> the level camera's optical frame (x right, y down, z forward)."""
    return np.stack([-world[..., 1], CAMERA_HEIGHT - world[..., 2], world[..., 0]], axis=-1)


def sequence(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float | None]:
    """2D keypoints (T,17,2) px with 2 px noise, 3D keypoints (T,17,3) in the optical frame with depth-like
    noise, and for a fall the landing time."""
    world, landed = world_sequence(kind, rng)
    xyz = to_optical(world)
    uv = project(xyz.reshape(-1, 3), camera()).reshape(*xyz.shape[:2], 2)
    uv = uv + rng.normal(0.0, 2.0, uv.shape)
    noisy = xyz + rng.normal(0.0, 1.0, xyz.shape) * 0.01 * xyz[..., 2:3] / 3.0
    return uv.astype(np.float32), noisy.astype(np.float32), landed
