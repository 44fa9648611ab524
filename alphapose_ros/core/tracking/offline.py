"""The sequential end of offline processing: tracking, One-Euro smoothing and 3D from depth, one frame at a
time in time order, as the tracking and keypoints_3d nodes do live.

alphapose-bag runs it behind its per-frame stages; alphapose-fleet runs it per bag over its shards' poses.
Sharing it is what makes the two write the same track IDs and keypoints.
"""
from __future__ import annotations

from collections.abc import Callable

from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.tracking.one_euro import (METRE_DEFAULTS, MIN_SCORE, PIXEL_DEFAULTS, TrackSmoother,
                                                  smooth_keypoints_2d, smooth_keypoints_3d)
from alphapose_ros.core.tracking.trackers import track_poses


class OfflineSteps:
    """Per stream: `tracker` (None: no IDs, no smoothing), smoothing on or off, and optionally a depth stream
    (core.io.bags.DepthStream) with the camera's intrinsics; `skip(reason, note)` hears about frames whose
    3D could not be made."""

    def __init__(self, tracker=None, smooth: bool = True, depth=None, intrinsics=None,
                 skip: Callable[[str, str], None] | None = None):
        self.tracker = tracker
        self.smooth = smooth and tracker is not None
        self.depth, self.intrinsics = depth, intrinsics
        self.skip = skip or (lambda reason, note: None)
        self.smoothers = (TrackSmoother(PIXEL_DEFAULTS), TrackSmoother(METRE_DEFAULTS), TrackSmoother(METRE_DEFAULTS))

    def __call__(self, t_ns: int, poses: PoseSet, size: tuple[int, int], image=None) -> PoseSet:
        """This frame's poses (after pose NMS) tracked, smoothed and lifted; `size` = (width, height),
        `image` (BGR) only for trackers that look at pixels (PoseFlow)."""
        t = t_ns * 1e-9
        if self.tracker is not None:
            poses = track_poses(self.tracker, t, poses, image)
        if self.smooth:
            poses = smooth_keypoints_2d(self.smoothers[0], t, poses, MIN_SCORE)
        if self.depth is not None and self._lift(poses, t_ns, size) and self.smooth:
            poses = smooth_keypoints_3d(self.smoothers[1], self.smoothers[2], t, poses)
        return poses

    def _lift(self, poses: PoseSet, t_ns: int, size: tuple[int, int]) -> bool:
        """Fill the 3D keypoints and positions from the depth image nearest the frame; False when there is
        none to use (said through `skip`)."""
        from alphapose_ros.core.people3d.keypoints_3d import lift

        depth_m, why = self.depth.nearest(t_ns)
        if depth_m is None:
            self.skip(why, "its poses are written without 3D")
            return False
        poses.keypoints_3d, poses.positions = lift(poses.keypoints, poses.keypoint_scores, depth_m, self.intrinsics,
                                                   size, poses.format_name)
        return True
