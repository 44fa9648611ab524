"""Synthetic RGB-D frames of known geometry, to measure 3D keypoints (core/people3d/keypoints_3d.py) against truth.

A person is a COCO-17 skeleton in metres, standing at a chosen distance, turned by a random yaw, with
the arms in a random pose. The depth image (registered to the colour camera, 16UC1 millimetres) draws
every skeleton link as a ribbon 12 cm wide whose depth runs linearly between its two joints, so the
visible surface at a keypoint is the joint itself (a real depth camera sees skin and clothes a few
centimetres in front of a joint centre; these figures leave that offset out). Behind the people is a wall
at `wall` metres. The sensor model: Gaussian noise of sigma = `noise` x z^2 per pixel, `dropout` of the
pixels zero (no return), millimetre quantisation; `holes` adds a zeroed square over each person's right
wrist and elbow, bigger than the depth patch, where a keypoint must come out invalid.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphapose_ros.core.people3d.keypoints_3d import Intrinsics, project
from alphapose_ros.core.skeletons import get_format

# COCO-17 joints of a standing person facing the camera: x to the image's right (the person's left),
# y down, z away from the camera, metres from the hip centre
_TEMPLATE = np.array([
    [0.0, -0.72, -0.08],                                 # nose
    [0.035, -0.76, -0.06], [-0.035, -0.76, -0.06],       # eyes
    [0.08, -0.74, 0.0], [-0.08, -0.74, 0.0],             # ears
    [0.19, -0.50, 0.0], [-0.19, -0.50, 0.0],             # shoulders
    [0.24, -0.22, 0.0], [-0.24, -0.22, 0.0],             # elbows
    [0.26, 0.02, -0.10], [-0.26, 0.02, -0.10],           # wrists
    [0.10, 0.0, 0.0], [-0.10, 0.0, 0.0],                 # hips
    [0.11, 0.45, 0.0], [-0.11, 0.45, 0.0],               # knees
    [0.11, 0.88, 0.02], [-0.11, 0.88, 0.02],             # ankles
], np.float64)
RIGHT_ARM = (8, 10)  # right elbow, right wrist: under the hole when holes=True
HALF_WIDTH = 0.06    # m, of limbs and torso
FACE_HALF_WIDTH = 0.015  # m, of the links between face keypoints


@dataclass(frozen=True)
class Frame:
    depth_mm: np.ndarray      # (H,W) uint16, registered to the colour camera
    keypoints: np.ndarray     # (N,17,2) pixels in the colour image (distorted, as a pose network sees them)
    truth: np.ndarray         # (N,17,3) metres in the optical frame
    in_hole: np.ndarray       # (N,17) bool: keypoints whose surroundings were zeroed
    visible: np.ndarray       # (N,17) bool: in the image and not hidden behind a nearer body part


def camera(distorted: bool = False) -> Intrinsics:
    """An 848x480 colour camera like an RGB-D sensor's (f = 615 px), optionally with lens distortion."""
    dist = (0.12, -0.25, 0.0012, -0.0008, 0.1) if distorted else ()
    return Intrinsics(615.0, 615.0, 423.5, 239.5, 848, 480, dist)


def person(distance: float, rng: np.random.Generator, intr: Intrinsics) -> np.ndarray:
    """(17,3) joints of one person whose hip centre is `distance` m ahead, somewhere in the field of view."""
    j = _TEMPLATE.copy()
    for shoulder, sign in ((5, 1.0), (6, -1.0)):  # swing each arm about its shoulder, in the body's plane
        a = sign * rng.uniform(-0.6, 1.2)
        c, s = np.cos(a), np.sin(a)
        for k in (shoulder + 2, shoulder + 4):
            d = j[k, :2] - j[shoulder, :2]
            j[k, :2] = j[shoulder, :2] + (c * d[0] - s * d[1], s * d[0] + c * d[1])
    j *= rng.uniform(0.9, 1.1)
    yaw = rng.uniform(-0.5, 0.5)
    c, s = np.cos(yaw), np.sin(yaw)
    j[:, 0], j[:, 2] = c * j[:, 0] + s * j[:, 2], -s * j[:, 0] + c * j[:, 2]
    half_w = 0.5 * intr.width / intr.fx * distance
    x = rng.uniform(-0.6, 0.6) * max(0.0, half_w - 0.35)
    y = rng.uniform(-0.1, 0.3) * (distance > 2.0)
    return j + np.array([x, y, distance])


def _ribbon(zbuf: np.ndarray, a: np.ndarray, b: np.ndarray, za: float, zb: float, half_px: float) -> None:
    """Draw a segment a-b (pixels) of half-width half_px with round caps and depth za..zb into zbuf (min)."""
    h, w = zbuf.shape
    lo = np.floor(np.minimum(a, b) - half_px - 1).astype(int)
    hi = np.ceil(np.maximum(a, b) + half_px + 1).astype(int)
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], w - 1), min(hi[1], h - 1)
    if x1 < x0 or y1 < y0:
        return
    ys, xs = np.mgrid[y0:y1 + 1, x0:x1 + 1]
    d = b - a
    ll = float(d @ d) or 1e-9
    t = np.clip(((xs - a[0]) * d[0] + (ys - a[1]) * d[1]) / ll, 0.0, 1.0)
    dist2 = (xs - a[0] - t * d[0]) ** 2 + (ys - a[1] - t * d[1]) ** 2
    z = za + t * (zb - za)
    mask = dist2 <= half_px * half_px
    region = zbuf[y0:y1 + 1, x0:x1 + 1]
    region[mask] = np.minimum(region[mask], z[mask])


def render(people: list[np.ndarray], intr: Intrinsics, rng: np.random.Generator, wall: float = 7.0,
           noise: float = 0.0015, dropout: float = 0.05, holes: bool = False) -> Frame:
    """A depth frame of these people (each (17,3) metres) and their true keypoints."""
    zbuf = np.full((intr.height, intr.width), wall, np.float64)
    links = get_format("coco_17").real_links() + ((5, 6), (11, 12))
    kps, truth = [], []
    for j in people:
        uv = project(j, intr)
        for a, b in links:
            half = (FACE_HALF_WIDTH if max(a, b) < 5 else HALF_WIDTH) * intr.fx / ((j[a, 2] + j[b, 2]) / 2)
            _ribbon(zbuf, uv[a], uv[b], j[a, 2], j[b, 2], half)
        kps.append(uv)
        truth.append(j)
    k = np.stack(kps).astype(np.float32) if kps else np.zeros((0, 17, 2), np.float32)
    t = np.stack(truth).astype(np.float32) if truth else np.zeros((0, 17, 3), np.float32)
    visible = in_view(k, intr)
    px = np.clip(np.rint(k).astype(int), 0, [intr.width - 1, intr.height - 1])
    visible &= zbuf[px[..., 1], px[..., 0]] >= t[..., 2] - 0.03
    z = zbuf + rng.normal(0.0, 1.0, zbuf.shape) * noise * zbuf ** 2
    z[rng.random(z.shape) < dropout] = 0.0
    in_hole = np.zeros((len(people), 17), bool)
    if holes:
        for i, uv in enumerate(kps):
            half = 0.12 * intr.fx / truth[i][RIGHT_ARM[1], 2]
            c = uv[list(RIGHT_ARM)].mean(0)
            r = half + np.abs(uv[RIGHT_ARM[0]] - uv[RIGHT_ARM[1]]).max() / 2
            x0, y0 = np.maximum(np.floor(c - r).astype(int), 0)
            x1, y1 = np.ceil(c + r).astype(int)
            z[y0:y1, x0:x1] = 0.0
            inside = np.all((uv >= [x0 + 3, y0 + 3]) & (uv <= [x1 - 4, y1 - 4]), axis=1)
            in_hole[i] = inside
    depth_mm = np.clip(np.rint(z * 1000.0), 0, 65535).astype(np.uint16)
    return Frame(depth_mm, k, t, in_hole, visible)


def in_view(keypoints: np.ndarray, intr: Intrinsics, margin: float = 4.0) -> np.ndarray:
    """(N,K) bool: keypoints inside the image by `margin` px (others cannot have depth)."""
    return ((keypoints[..., 0] >= margin) & (keypoints[..., 0] <= intr.width - 1 - margin)
            & (keypoints[..., 1] >= margin) & (keypoints[..., 1] <= intr.height - 1 - margin))
