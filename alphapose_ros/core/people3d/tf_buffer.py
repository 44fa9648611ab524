"""A transform buffer with tf2's semantics, for robots without tf2_ros (the PyPI wheels).

Transforms arrive as (parent, child, stamp, translation, rotation quaternion x y z w), static or dynamic,
as on /tf_static and /tf. `lookup(target, source, t)` gives the rigid transform that maps points in
`source` into `target` at image time t, walking both frames up to their common ancestor: a static edge
holds at every time; a dynamic edge is interpolated between the two stamps around t (linear translation,
spherical rotation). As in tf2: t = 0 means the latest time every dynamic edge of the chain has; a time
outside an edge's stamps is an ExtrapolationError (no guessing), an unknown frame a LookupError, frames
in different trees a ConnectivityError, a loop a ConnectivityError too; dynamic history older than
`cache_time` before the newest stamp is forgotten. The keypoints_3d node uses tf2_ros where installed.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace

import numpy as np

from alphapose_ros.core.poses import PoseSet

MAX_DEPTH = 1000  # tf2's limit on a chain's length; deeper means a loop


class TransformError(Exception):
    """Base of the lookup failures (the same split as tf2's exceptions)."""


class UnknownFrameError(TransformError):
    """A frame that was never published."""


class ConnectivityError(TransformError):
    """Frames that are not in one tree (or a tree with a loop)."""


class ExtrapolationError(TransformError):
    """A time outside what the buffer holds for an edge of the chain."""


@dataclass(frozen=True)
class Rigid:
    """x' = R x + t, with R from the unit quaternion q = (x, y, z, w)."""

    t: np.ndarray
    q: np.ndarray

    @staticmethod
    def identity() -> "Rigid":
        return Rigid(np.zeros(3), np.array([0.0, 0.0, 0.0, 1.0]))

    def matrix(self) -> np.ndarray:
        x, y, z, w = self.q
        return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                         [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                         [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Points (..., 3) mapped (in their float dtype); NaN stays NaN."""
        return _keep_dtype(points, np.asarray(points, np.float64) @ self.matrix().T + self.t)

    def rotate(self, vectors: np.ndarray) -> np.ndarray:
        """Vectors (..., 3) (velocities) rotated, not moved."""
        return _keep_dtype(vectors, np.asarray(vectors, np.float64) @ self.matrix().T)

    def __matmul__(self, other: "Rigid") -> "Rigid":
        """self after other."""
        return Rigid(self.matrix() @ other.t + self.t, _qmul(self.q, other.q))

    def inverse(self) -> "Rigid":
        qi = self.q * [-1.0, -1.0, -1.0, 1.0]
        inv = Rigid(np.zeros(3), qi)
        return Rigid(-(inv.matrix() @ self.t), qi)


def _keep_dtype(like: np.ndarray, out: np.ndarray) -> np.ndarray:
    dtype = np.asarray(like).dtype
    return out.astype(dtype) if dtype.kind == "f" else out


def _qmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz])


def slerp(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """Spherical interpolation between unit quaternions a (w=0) and b (w=1), the short way round."""
    d = float(np.dot(a, b))
    if d < 0:
        b, d = -b, -d
    if d > 0.9995:
        q = a + w * (b - a)
        return q / np.linalg.norm(q)
    th = np.arccos(d)
    return (np.sin((1 - w) * th) * a + np.sin(w * th) * b) / np.sin(th)


@dataclass
class _Edge:
    parent: str
    static: bool
    stamps: list[float] = field(default_factory=list)
    rigids: list[Rigid] = field(default_factory=list)


class TFBuffer:
    """Static and dynamic transforms by child frame; lookups with tf2's interpolation and errors."""

    def __init__(self, cache_time: float = 10.0):
        self.cache_time = cache_time
        self.edges: dict[str, _Edge] = {}

    def set_transform(self, parent: str, child: str, stamp: float, translation, rotation,
                      static: bool = False) -> None:
        """One transform (rotation x, y, z, w; normalised here). A frame re-parented starts a new history."""
        parent, child = parent.lstrip("/"), child.lstrip("/")
        if not parent or not child or parent == child:
            raise ValueError(f"transform from {parent!r} to {child!r}: frames must be named and different")
        q = np.asarray(rotation, np.float64)
        t = np.asarray(translation, np.float64)
        norm = np.linalg.norm(q)
        if not (np.all(np.isfinite(q)) and np.all(np.isfinite(t)) and norm > 1e-9):
            raise ValueError(f"transform {parent} -> {child} has a non-finite value or a zero quaternion")
        e = self.edges.get(child)
        if e is None or e.parent != parent or e.static != static:
            e = self.edges[child] = _Edge(parent, static)
        rigid = Rigid(t, q / norm)
        if static:
            e.stamps, e.rigids = [stamp], [rigid]
            return
        i = bisect.bisect_left(e.stamps, stamp)
        if i < len(e.stamps) and e.stamps[i] == stamp:
            e.rigids[i] = rigid
        else:
            e.stamps.insert(i, stamp)
            e.rigids.insert(i, rigid)
        old = bisect.bisect_left(e.stamps, e.stamps[-1] - self.cache_time)
        del e.stamps[:old], e.rigids[:old]

    def frames(self) -> set[str]:
        return set(self.edges) | {e.parent for e in self.edges.values()}

    def _chain(self, frame: str) -> list[str]:
        """frame, its parent, ... up to its root."""
        chain = [frame]
        while chain[-1] in self.edges:
            chain.append(self.edges[chain[-1]].parent)
            if len(chain) > MAX_DEPTH:
                raise ConnectivityError(f"the tf tree above {frame!r} contains a loop")
        return chain

    def _edge_at(self, child: str, t: float, target: str, source: str) -> Rigid:
        e = self.edges[child]
        if e.static:
            return e.rigids[0]
        if t < e.stamps[0] or t > e.stamps[-1]:
            when = "future" if t > e.stamps[-1] else "past"
            raise ExtrapolationError(
                f"lookup would require extrapolation into the {when}: requested time {t:.6f} but the data of "
                f"{e.parent} -> {child} spans {e.stamps[0]:.6f} .. {e.stamps[-1]:.6f}, when looking up the "
                f"transform from frame [{source}] to frame [{target}]")
        i = bisect.bisect_left(e.stamps, t)
        if e.stamps[i] == t:
            return e.rigids[i]
        t0, t1 = e.stamps[i - 1], e.stamps[i]
        a, b = e.rigids[i - 1], e.rigids[i]
        w = (t - t0) / (t1 - t0)
        return Rigid(a.t + w * (b.t - a.t), slerp(a.q, b.q, w))

    def lookup(self, target: str, source: str, t: float = 0.0) -> Rigid:
        """The transform taking points in `source` to `target` at image time t (0: the latest common time)."""
        target, source = target.lstrip("/"), source.lstrip("/")
        known = self.frames()
        for f in (target, source):
            if f not in known:
                raise UnknownFrameError(f'"{f}" passed to lookup does not exist')
        if target == source:
            return Rigid.identity()
        up_s, up_t = self._chain(source), self._chain(target)
        common = next((f for f in up_s if f in set(up_t)), None)
        if common is None:
            raise ConnectivityError(f"could not find a connection between [{target}] and [{source}]: they are "
                                    "not part of the same tree")
        edges = up_s[:up_s.index(common)] + up_t[:up_t.index(common)]
        if t == 0.0:
            dynamic = [self.edges[c].stamps[-1] for c in edges if not self.edges[c].static]
            t = min(dynamic) if dynamic else 0.0
        to_common_s = Rigid.identity()
        for child in up_s[:up_s.index(common)]:  # source -> ... -> common
            to_common_s = self._edge_at(child, t, target, source) @ to_common_s
        to_common_t = Rigid.identity()
        for child in up_t[:up_t.index(common)]:
            to_common_t = self._edge_at(child, t, target, source) @ to_common_t
        return to_common_t.inverse() @ to_common_s


def poses_in_frame(poses: PoseSet, rigid: Rigid, frame: str) -> PoseSet:
    """The poses' 3D keypoints, positions and velocities mapped by `rigid` into `frame` (2D untouched)."""
    if poses.keypoints_3d is None:
        return poses
    vel3 = None if poses.velocities_3d is None else rigid.rotate(poses.velocities_3d)
    vel = None if poses.velocities is None else rigid.rotate(poses.velocities)
    return replace(poses, keypoints_3d=rigid.apply(poses.keypoints_3d), positions=rigid.apply(poses.positions),
                   velocities_3d=vel3, velocities=vel, frame_3d=frame)
