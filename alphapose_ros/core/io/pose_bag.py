"""The output bag of alphapose-bag and alphapose-fleet: the input's topics copied as recorded, the keypoint
layout once, and one WholeBodyPoseArray per camera image with that image's header, committed every
COMMIT_EVERY frames (a power cut keeps what was finished: core.io.bag_output)."""
from __future__ import annotations

from pathlib import Path

from alphapose_ros.core.io import bags
from alphapose_ros.core.io.bag_output import commit_pending
from alphapose_ros.core.poses import PoseSet
from alphapose_ros.core.skeletons import KeypointFormat

POSES_TOPIC = "/alphapose/poses"
LAYOUT_TOPIC = "/alphapose/keypoint_layout"
COMMIT_EVERY = 10  # frames: what a power cut can lose at most


class PoseBagWriter:
    """Writes into an open rosbags Writer `w`: on creation the input bag's topics (unless copy is False),
    then `write` per frame."""

    def __init__(self, w, source_bag: str | Path, fmt: KeypointFormat, copy: bool = True):
        self.w, self.fmt = w, fmt
        self.ts = bags.typestore()
        self.copied = bags.copy_messages(source_bag, w, skip_topics=(POSES_TOPIC, LAYOUT_TOPIC)) if copy else 0
        commit_pending(w)
        self._poses = w.add_connection(POSES_TOPIC, bags.POSE_TYPE, typestore=self.ts)
        self._layout = w.add_connection(LAYOUT_TOPIC, bags.LAYOUT_TYPE, typestore=self.ts)
        self.written = 0

    def write(self, header, poses: PoseSet, width: int, height: int) -> None:
        """One frame's poses (an empty set answers a frame with nobody, or one that could not be used)."""
        t_ns = bags.stamp_ns(header)
        if self.written == 0:
            self.w.write(self._layout, t_ns,
                         self.ts.serialize_cdr(bags.layout_message(self.fmt, header), bags.LAYOUT_TYPE))
        self.w.write(self._poses, t_ns,
                     self.ts.serialize_cdr(bags.pose_array(poses, header, width, height), bags.POSE_TYPE))
        self.written += 1
        if self.written % COMMIT_EVERY == 0:
            commit_pending(self.w)
