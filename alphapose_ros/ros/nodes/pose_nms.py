"""Pose NMS node: removes the redundant poses that low-threshold detection creates
(parametric pose NMS by default, or OKS NMS), `poses_raw` in, `poses_nms` out."""
from __future__ import annotations

from pathlib import Path

import yaml
from rclpy.lifecycle import TransitionCallbackReturn

from alphapose_ros.core.pipeline import NMS_KINDS, apply_pose_nms
from alphapose_ros.core.nms.parametric import PoseNMSParams
from alphapose_ros.core.poses import PoseSet
from alphapose_ros.msg import WholeBodyPoseArray
from alphapose_ros.ros.conversions import poses_to_msg
from alphapose_ros.ros.node_utils import declare, declare_path
from alphapose_ros.ros.nodes.pose_stage import PoseStageNode


class PoseNMSNode(PoseStageNode):
    """Managed: configure reads the parameters file, activate subscribes, deactivate unsubscribes."""

    stage, in_topic, out_topic = "pose NMS", "poses_raw", "poses_nms"

    def __init__(self, name: str = "pose_nms", **kwargs):
        super().__init__(name, **kwargs)
        self.kind = declare(self, "kind", "parametric", " | ".join(NMS_KINDS))
        self.head = declare(self, "head", "auto",
                            "the pose model's head, which selects AlphaPose's 133/136-keypoint defaults: auto (what "
                            "the pose messages say) | heatmap | integral")
        if self.head not in ("auto", "heatmap", "integral"):
            raise ValueError(f"head must be auto, heatmap or integral, not {self.head!r}")
        self.area_thresh = declare(self, "min_box_area", 0.0, "drop poses whose keypoint extent is smaller (px^2)",
                                   range=(0.0, 1000000000000.0))
        self.params_file = declare_path(self, "params_file", "YAML of parametric NMS parameters (from the search)")
        self.oks_thresh = declare(self, "oks_thresh", 0.9, "OKS NMS threshold", range=(0.0, 1.0))
        if self.kind not in NMS_KINDS:
            raise ValueError(f"unknown pose NMS kind {self.kind!r}")
        self.set_overrides = {}  # from the parameters below; the parameters file's come first at configure
        for name, what, hi in (("delta1", "score softness of keypoint matching", 100.0),
                               ("mu", "weight of the spatial term", 100.0), ("delta2", "spatial scale", 1000.0),
                               ("gamma", "similarity threshold", 1000.0),
                               ("score_thresh", "drop merged poses whose best keypoint score is lower", 1.0),
                               ("match_thresh", "PCK-matched keypoints that make a duplicate", 1000.0),
                               ("alpha", "PCK radius as a fraction of the box size", 1.0)):
            v = declare(self, name, -1.0, f"parametric NMS: {what}; -1 = AlphaPose's value for the model",
                        range=(-1.0, hi))
            if v >= 0:
                self.set_overrides[name] = v
        formula = declare(self, "formula", "alphapose", "parametric NMS similarity: alphapose (its code) or "
                          "paper (eqs. 17-18; fit its parameters with alphapose-nms-search --formula paper)")
        if formula != "alphapose":
            self.set_overrides["formula"] = formula
        if declare(self, "fixed_match_norm", False, "whole body: normalise the PCK match count as for one "
                   "candidate (AlphaPose divides by the candidates left in the pool)"):
            self.set_overrides["fixed_match_norm"] = True
        self._said_unknown_head = False
        self.overrides: dict = {}
        self._declare_stage()

    def on_configure(self, state) -> TransitionCallbackReturn:
        try:
            from_file = (yaml.safe_load(Path(self.params_file).read_text()) or {}) if self.params_file else {}
            if not isinstance(from_file, dict):
                raise ValueError("not a YAML mapping of parameter names to values")
            self.overrides = {**from_file, **self.set_overrides}
            PoseNMSParams(**self.overrides)  # unknown names fail here, not on the first frame
        except (OSError, ValueError, TypeError, yaml.YAMLError) as e:
            self.get_logger().error(f"cannot configure pose NMS: params_file {self.params_file}: {e}")
            return TransitionCallbackReturn.FAILURE
        self._make_output()
        return TransitionCallbackReturn.SUCCESS

    def _on_poses(self, msg: WholeBodyPoseArray) -> None:
        poses = self._unpack(msg)
        if poses is None:
            return
        self.pub.publish(poses_to_msg(self.suppress(poses), msg.header, msg.image_width, msg.image_height))
        self._finished(msg.header)

    def suppress(self, p: PoseSet) -> PoseSet:
        head = p.head if self.head == "auto" else self.head
        if not head and p.num_keypoints in (133, 136) and not self._said_unknown_head:
            self._said_unknown_head = True
            self.get_logger().warning("the pose messages do not say their head (head 0): using the integral-head "
                                      "parameters; set the head parameter for a heatmap model (said once)")
        params = PoseNMSParams.for_layout(p.num_keypoints, head == "heatmap", area_thresh=self.area_thresh,
                                          **self.overrides)
        return apply_pose_nms(p, self.kind, params, self.oks_thresh)[0]
