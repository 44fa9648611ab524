"""What the pose NMS and tracking nodes share: a managed stage from one WholeBodyPoseArray topic to
another that subscribes on activate, unsubscribes on deactivate and drops its publishers on cleanup."""
from __future__ import annotations

import time

from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn

from alphapose_ros.core.poses import PoseSet
from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import msg_to_poses
from alphapose_ros.ros.diagnostics import StageMonitor, declare_no_input_warning
from alphapose_ros.ros.node_utils import SkipLog, declare
from alphapose_ros.ros.qos import stage_qos


class PoseStageNode(LifecycleNode):
    """Subclasses set `stage`, `in_topic`, `out_topic`, declare their own parameters, call
    `_declare_stage()` last in __init__, create `self.pub` (and any other publisher, listed in
    `self.publishers`) in on_configure, and handle messages in `_on_poses`."""

    stage = in_topic = out_topic = ""

    def _declare_stage(self) -> None:
        depth = declare(self, "queue_depth", 2, "input/output queue depth (bounds latency)", range=(1, 1000))
        self.qos = stage_qos(depth, declare(self, "offline", False, "deep queues: process every message"))
        self.no_input_warn_s = declare_no_input_warning(self)
        self.skip = SkipLog(self.get_logger())
        self.pub = self.sub = self.monitor = None
        self._started: float | None = None  # when the message being handled was taken
        self.publishers_made: list = []
        if declare(self, "autostart", True, "configure and activate on start-up"):
            self.trigger_configure()
            self.trigger_activate()

    def _make_publisher(self, msg_type, topic: str):
        pub = self.create_publisher(msg_type, topic, self.qos)
        self.publishers_made.append(pub)
        return pub

    def _make_output(self) -> None:
        self.pub = self._make_publisher(WholeBodyPoseArray, self.out_topic)

    def on_activate(self, state) -> TransitionCallbackReturn:
        self.sub = self.create_subscription(WholeBodyPoseArray, self.in_topic, self._on_poses, self.qos)
        if self.monitor is None:
            self.monitor = StageMonitor(self, self.stage, self.in_topic, self.qos, no_input_warn_s=self.no_input_warn_s,
                                        drops=lambda: self.skip.total)
        self.monitor.restart()
        return super().on_activate(state)

    def on_deactivate(self, state) -> TransitionCallbackReturn:
        if self.sub is not None:
            self.destroy_subscription(self.sub)
            self.sub = None
        return super().on_deactivate(state)

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        for pub in self.publishers_made:
            self.destroy_publisher(pub)
        self.publishers_made = []
        self.pub = None
        return TransitionCallbackReturn.SUCCESS

    def _unpack(self, msg: WholeBodyPoseArray) -> PoseSet | None:
        """Count the input and unpack it; None (skipped, the reason logged once) when it is malformed."""
        self.monitor.on_input()
        self._started = time.perf_counter()
        try:
            return msg_to_poses(msg)
        except (KeyError, ValueError) as e:
            self.skip(f"malformed pose message: {e}")
            return None

    def _finished(self, header) -> None:
        """One output for the message _unpack took last (its processing time from then)."""
        self.monitor.on_output(header, self._started)

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        raise NotImplementedError
