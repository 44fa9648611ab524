"""How close each person is to the robot (speed and separation monitoring, as ISO/TS 15066 frames it).

The robot is a set of links, each a capsule (a segment with a radius; a sphere is a capsule of zero length)
given in the link's own frame and placed, per image, by its transform into the frame of the 3D keypoints.
Per person: the distance from the nearest body keypoint to the nearest link surface, and a 95% interval.
Each keypoint's position is uncertain by sigma = sqrt(sigma_depth^2 + 2 sigma_lateral^2) / clip(score, 0.2, 1),
with sigma_depth = depth_noise x range^2 (a stereo / structured-light sensor) and sigma_lateral =
pixel_noise x range / f (the pose network's pixel error); the interval is [min_k(d_k - 1.96 s_k),
min_k(d_k + 1.96 s_k)]. A keypoint with no depth still bounds the distance from below: the person is
somewhere on that keypoint's viewing ray between `min_range` and `max_range`, so the distance is at least
the ray's distance to the links; a person without any depth has that lower bound and an infinite upper one,
never no answer. Vectorised over keypoints and links.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z95 = 1.959964


@dataclass(frozen=True)
class Link:
    """A capsule in `frame`: the segment a-b (metres, in that frame) grown by `radius`."""

    frame: str
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    radius: float


def load_links(path: str) -> list[Link]:
    """Links from a YAML file (config/robot_links_example.yaml); ValueError naming the entry that is wrong."""
    import yaml

    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    entries = doc.get("links") if isinstance(doc, dict) else None
    if not entries:
        raise ValueError(f"{path}: no `links:` list")
    out = []
    for i, e in enumerate(entries):
        try:
            a = tuple(float(v) for v in e["a"])
            b = tuple(float(v) for v in e.get("b", a))
            link = Link(str(e["frame"]).lstrip("/"), a, b, float(e["radius"]))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}: link {i + 1} needs frame, a [x, y, z], optional b, radius ({err})") from err
        if len(a) != 3 or len(b) != 3 or not link.frame or not (0 <= link.radius < 10) \
                or not np.all(np.isfinite(a + b)):
            raise ValueError(f"{path}: link {i + 1} ({e}) has a bad point, frame or radius")
        out.append(link)
    return out


@dataclass(frozen=True)
class NoiseModel:
    depth_noise: float = 0.0015   # sigma of depth per metre squared of range
    pixel_noise: float = 3.0      # sigma of a keypoint in pixels
    focal: float = 600.0          # px
    min_range: float = 0.1        # m: where a keypoint without depth may be, along its ray
    max_range: float = 10.0


@dataclass(frozen=True)
class PersonDistance:
    distance: np.ndarray   # (N,) m; NaN when no keypoint has 3D
    lower: np.ndarray      # (N,) 95% lower bound, m (>= 0)
    upper: np.ndarray      # (N,) 95% upper bound, m (inf without depth)
    keypoint: np.ndarray   # (N,) int: nearest keypoint (-1 when none)
    link: np.ndarray       # (N,) int: index of the nearest link (-1 when none)


def segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """Distance between segments p0-p1 and q0-q1 (either may be a point); arrays (..., 3) broadcast together."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e, b = (d1 * d1).sum(-1), (d2 * d2).sum(-1), (d1 * d2).sum(-1)
    c, f = (d1 * r).sum(-1), (d2 * r).sum(-1)
    eps = 1e-12
    safe_a, safe_e = np.where(a > eps, a, 1.0), np.where(e > eps, e, 1.0)
    denom = a * e - b * b
    s = np.where(denom > eps, np.clip((b * f - c * e) / np.where(denom > eps, denom, 1.0), 0.0, 1.0), 0.0)
    s = np.where(e > eps, s, np.clip(-c / safe_a, 0.0, 1.0))   # q a point: the nearest point of p to it
    t = np.where(e > eps, (b * s + f) / safe_e, 0.0)
    s = np.where(t < 0.0, np.clip(-c / safe_a, 0.0, 1.0), np.where(t > 1.0, np.clip((b - c) / safe_a, 0.0, 1.0), s))
    t = np.clip(t, 0.0, 1.0)
    s = np.where(a > eps, s, 0.0)                              # p a point
    t = np.where((a <= eps) & (e > eps), np.clip(f / safe_e, 0.0, 1.0), t)
    return np.linalg.norm(p0 + s[..., None] * d1 - q0 - t[..., None] * d2, axis=-1)


def point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points p to segments a-b; arrays (..., 3) broadcast together."""
    ab = b - a
    ll = (ab * ab).sum(-1)
    t = np.clip(((p - a) * ab).sum(-1) / np.where(ll > 1e-12, ll, 1.0), 0.0, 1.0)
    return np.linalg.norm(p - a - t[..., None] * ab, axis=-1)


def person_distances(points: np.ndarray, scores: np.ndarray, links: np.ndarray, radii: np.ndarray,
                     camera: np.ndarray, rays: np.ndarray | None = None,
                     noise: NoiseModel = NoiseModel()) -> PersonDistance:
    """points (N,K,3) metres (NaN: no depth), scores (N,K), links (L,2,3) capsule axes and radii (L,) in the same
    frame, camera (3,) the camera's origin there; rays (N,K,3) unit viewing directions of the keypoints in that
    frame (for the keypoints without depth; None: those keypoints bound nothing)."""
    n, k = points.shape[:2]
    if len(links) == 0 or n == 0:
        nan = np.full(n, np.nan)
        return PersonDistance(nan, np.zeros(n), np.full(n, np.inf), np.full(n, -1), np.full(n, -1))
    p = np.asarray(points, np.float64)[:, :, None, :]                       # (N,K,1,3)
    a, b = links[None, None, :, 0], links[None, None, :, 1]                 # (1,1,L,3)
    d = point_segment_distance(p, a, b) - radii                              # (N,K,L)
    rng = np.linalg.norm(np.asarray(points, np.float64) - camera, axis=-1)  # (N,K)
    sigma = np.sqrt((noise.depth_noise * rng ** 2) ** 2 + 2 * (noise.pixel_noise * rng / noise.focal) ** 2)
    sigma /= np.clip(scores, 0.2, 1.0)
    has = np.isfinite(d)
    d_key = np.where(has, d, np.inf).min(-1)                                # (N,K) nearest link per keypoint
    link_of = np.where(has, d, np.inf).argmin(-1)
    lower_k = np.maximum(d_key - Z95 * sigma, 0.0)
    upper_k = d_key + Z95 * sigma
    no_depth = ~np.isfinite(d_key)
    if rays is not None and no_depth.any():  # keypoints without depth: the nearest their ray comes to a link
        r = np.asarray(rays, np.float64)[no_depth][:, None]                 # (M,1,3)
        ray_d = (segment_distance(camera + noise.min_range * r, camera + noise.max_range * r, links[None, :, 0],
                                  links[None, :, 1]) - radii).min(-1)
        lower_k[no_depth] = np.where(np.isfinite(ray_d), np.maximum(ray_d, 0.0), np.inf)
    lower_k = np.where(np.isfinite(lower_k), lower_k, np.inf)
    upper_k = np.where(np.isfinite(upper_k), upper_k, np.inf)
    near = d_key.argmin(-1)
    rows = np.arange(n)
    distance = d_key[rows, near]
    found = np.isfinite(distance)
    lower = lower_k.min(-1)
    return PersonDistance(np.where(found, distance, np.nan), np.where(np.isfinite(lower), lower, 0.0),
                          upper_k.min(-1), np.where(found, near, -1), np.where(found, link_of[rows, near], -1))
