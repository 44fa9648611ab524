"""People in 3D from a depth image registered to the colour camera.

Each 2D keypoint gets a robust depth from a small patch of the depth image around it (zeros, NaN
and out-of-range values rejected; of what is left, the median of the values near the nearest
surface, so a keypoint on a limb's edge does not take the wall behind it), and is back-projected
through the colour camera's intrinsics (lens distortion removed when D is non-zero) into x, y, z
in metres in the image's optical frame (x right, y down, z forward). A keypoint without a
valid depth is NaN. Each person also gets one position: the median of the torso keypoints'
3D points (all valid keypoints when the torso has none).

ROS-free: the depth node (ros/nodes/keypoints_3d.py) and `alphapose-bag` call it.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from alphapose_ros.core.skeletons import get_format

DEPTH_ENCODINGS = {"16UC1": 1e-3, "mono16": 1e-3, "32FC1": 1.0}  # encoding -> metres per unit
TORSO = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


class DepthError(ValueError):
    """A depth image or camera model that cannot be used (the reason says why)."""


@dataclass(frozen=True)
class Intrinsics:
    """A pinhole camera with optional plumb-bob / rational distortion (sensor_msgs/CameraInfo's K and D)."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    dist: tuple[float, ...] = ()

    @classmethod
    def from_camera_info(cls, k, d, width: int, height: int, distortion_model: str = "plumb_bob") -> "Intrinsics":
        """From CameraInfo's row-major K (9 values) and D; DepthError when unusable."""
        k = np.asarray(k, np.float64).reshape(-1)
        if k.size != 9 or not np.all(np.isfinite(k)) or k[0] <= 0 or k[4] <= 0:
            raise DepthError("camera_info has no usable K (an uncalibrated camera?)")
        if width <= 0 or height <= 0:
            raise DepthError(f"camera_info has image size {width}x{height}")
        d = tuple(float(v) for v in np.asarray(d, np.float64).reshape(-1))
        if any(d) and distortion_model not in ("plumb_bob", "rational_polynomial"):
            raise DepthError(f"distortion model {distortion_model!r} is not supported (plumb_bob, "
                             "rational_polynomial)")
        if d and len(d) not in (4, 5, 8, 12, 14):
            raise DepthError(f"camera_info has {len(d)} distortion coefficients")
        return cls(float(k[0]), float(k[4]), float(k[2]), float(k[5]), int(width), int(height),
                   d if any(d) else ())

    def scaled(self, width: int, height: int) -> "Intrinsics":
        """The same camera at another resolution (a depth or colour image of a different size)."""
        if (width, height) == (self.width, self.height):
            return self
        sx, sy = width / self.width, height / self.height
        # pixel centres: u' + 0.5 = (u + 0.5) * s
        return Intrinsics(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5, (self.cy + 0.5) * sy - 0.5,
                          int(width), int(height), self.dist)

    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], np.float64)


def depth_in_metres(depth: np.ndarray, encoding: str) -> np.ndarray:
    """float32 metres from a 16UC1 (mm) or 32FC1 (m) depth image; DepthError for other encodings."""
    if encoding not in DEPTH_ENCODINGS:
        raise DepthError(f"depth encoding {encoding!r} is not supported: {', '.join(DEPTH_ENCODINGS)}")
    if depth.ndim != 2 or depth.size == 0:
        raise DepthError(f"depth image of shape {depth.shape}: expected one channel")
    return depth.astype(np.float32) * np.float32(DEPTH_ENCODINGS[encoding])


def undistorted_normalised(uv: np.ndarray, intr: Intrinsics) -> np.ndarray:
    """(M,2) pixel coordinates -> (M,2) normalised image coordinates (x/z, y/z), distortion removed."""
    uv = np.asarray(uv, np.float64).reshape(-1, 2)
    if not intr.dist:
        return np.stack([(uv[:, 0] - intr.cx) / intr.fx, (uv[:, 1] - intr.cy) / intr.fy], axis=1)
    if len(uv) == 0:
        return np.zeros((0, 2))
    pts = cv2.undistortPointsIter(uv.reshape(-1, 1, 2), intr.matrix(), np.asarray(intr.dist, np.float64), None,
                                  None, (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 40, 1e-9))
    return pts.reshape(-1, 2)


def project(xyz: np.ndarray, intr: Intrinsics) -> np.ndarray:
    """(M,3) camera-frame points -> (M,2) pixels, with the lens distortion (the inverse of back_project)."""
    xyz = np.asarray(xyz, np.float64).reshape(-1, 3)
    if not intr.dist:
        return np.stack([xyz[:, 0] / xyz[:, 2] * intr.fx + intr.cx, xyz[:, 1] / xyz[:, 2] * intr.fy + intr.cy], 1)
    uv, _ = cv2.projectPoints(xyz, np.zeros(3), np.zeros(3), intr.matrix(), np.asarray(intr.dist, np.float64))
    return uv.reshape(-1, 2)


def back_project(uv: np.ndarray, z: np.ndarray, intr: Intrinsics) -> np.ndarray:
    """(M,2) pixels and (M,) depths (m, along the optical axis) -> (M,3) points; NaN depth gives NaN."""
    n = undistorted_normalised(uv, intr)
    z = np.asarray(z, np.float64).reshape(-1)
    return np.stack([n[:, 0] * z, n[:, 1] * z, z], axis=1).astype(np.float32)


def patch_depth(depth_m: np.ndarray, uv: np.ndarray, radius: int = 3, min_depth: float = 0.1,
                max_depth: float = 20.0, surface_band: float = 0.15, min_valid: int = 3) -> np.ndarray:
    """Robust depth (m) at each (M,2) pixel of a metres depth image, NaN where none.

    The (2r+1)^2 patch around the pixel, invalid values (0, NaN, outside [min_depth, max_depth])
    dropped; the nearest surface is the 10th percentile of the rest, and the result is the median of
    the values within `surface_band` of it, so a patch half on the person and half on the background
    gives the person. Fewer than `min_valid` values: NaN. Vectorised over all keypoints at once."""
    uv = np.asarray(uv, np.float64).reshape(-1, 2)
    h, w = depth_m.shape
    out = np.full(len(uv), np.nan, np.float32)
    ok = np.all(np.isfinite(uv), axis=1)
    if not ok.any():
        return out
    centre = np.rint(uv[ok]).astype(np.int64)
    off = np.arange(-radius, radius + 1)
    xs = centre[:, 0, None, None] + off[None, None, :]
    ys = centre[:, 1, None, None] + off[None, :, None]
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    vals = depth_m[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)].reshape(len(centre), -1).astype(np.float32)
    inside = inside.reshape(len(centre), -1)
    valid = inside & np.isfinite(vals) & (vals >= min_depth) & (vals <= max_depth)
    vals = np.where(valid, vals, np.nan)
    enough = valid.sum(axis=1) >= min_valid
    res = np.full(len(centre), np.nan, np.float32)
    if enough.any():
        v = vals[enough]
        near = np.nanpercentile(v, 10, axis=1, keepdims=True)
        v = np.where(v <= near + surface_band, v, np.nan)
        res[enough] = np.nanmedian(v, axis=1)
    out[ok] = res
    return out


@dataclass(frozen=True)
class LiftParams:
    """How keypoints are lifted: patch radius (depth px), accepted depth range, surface band, minimum score."""

    radius: int = 3
    min_depth: float = 0.1
    max_depth: float = 20.0
    surface_band: float = 0.15
    min_score: float = 0.05


def lift(keypoints: np.ndarray, scores: np.ndarray, depth_m: np.ndarray, intr: Intrinsics,
         image_size: tuple[int, int], format_name: str, params: LiftParams = LiftParams()
         ) -> tuple[np.ndarray, np.ndarray]:
    """(N,K,2) keypoints in pixels of the colour image (`image_size` = width, height) and their
    (N,K) scores -> (N,K,3) points in metres (NaN where no valid depth or score below min_score)
    and (N,3) person positions (median of the torso's valid points, else of all valid points).

    `intr` is the colour camera's (from its camera_info); it is rescaled when camera_info's size
    differs from the image, and the depth image, registered to the colour camera, may have another
    size too (keypoints are scaled onto it)."""
    n, k = keypoints.shape[:2]
    if n == 0:
        return np.zeros((0, k, 3), np.float32), np.zeros((0, 3), np.float32)
    iw, ih = image_size
    intr = intr.scaled(iw, ih)
    dh, dw = depth_m.shape
    uv = keypoints.reshape(-1, 2).astype(np.float64)
    uv_depth = (uv + 0.5) * np.array([dw / iw, dh / ih]) - 0.5
    z = patch_depth(depth_m, uv_depth, params.radius, params.min_depth, params.max_depth, params.surface_band)
    z[np.asarray(scores, np.float32).reshape(-1) < params.min_score] = np.nan
    xyz = back_project(uv, z, intr).reshape(n, k, 3)
    return xyz, person_positions(xyz, format_name)


def _nanmean(a: np.ndarray, axis: int) -> np.ndarray:
    """Mean over `axis` ignoring NaN; NaN where every value is NaN (without numpy's warning)."""
    ok = np.isfinite(a)
    n = ok.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=axis) / n, np.nan)


def person_positions(xyz: np.ndarray, format_name: str, outlier: float = 0.3) -> np.ndarray:
    """(N,K,3) -> (N,3): the torso centre, midway between the shoulder centre and the hip centre (either
    alone when the other has no 3D), torso points more than `outlier` m off the torso's median depth (an
    arm in front of a hip) left out; without any torso point, the median of all valid points; else NaN."""
    names = get_format(format_name).names
    out = np.full((len(xyz), 3), np.nan, np.float32)
    if len(xyz) == 0:
        return out
    if all(t in names for t in TORSO):
        torso = xyz[:, [names.index(t) for t in TORSO]].astype(np.float64)  # (N,4,3)
        z = torso[..., 2]
        has = np.isfinite(z).any(axis=1)
        zmed = np.full((len(z), 1), np.nan)
        zmed[has] = np.nanmedian(z[has], axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            torso[np.abs(z - zmed) > outlier] = np.nan
        torso[~np.isfinite(torso[..., 2])] = np.nan
        centres = np.stack([_nanmean(torso[:, :2], 1), _nanmean(torso[:, 2:], 1)], axis=1)  # shoulders, hips
        out[:] = _nanmean(centres, 1)
    rest = ~np.isfinite(out[:, 2])
    for i in np.flatnonzero(rest):  # no torso point: the median of whatever has depth
        pts = xyz[i][np.isfinite(xyz[i, :, 2])]
        if len(pts):
            out[i] = np.median(pts, axis=0)
    return out
