"""Pose estimation node: pairs each image with its detections by stamp, runs the pose
network on the boxes and publishes every pose, unsuppressed, on `poses_raw`.

Reception and inference are decoupled: subscription callbacks only pair messages; a
worker thread runs the network. Live, the worker takes the NEWEST complete pair (older
ones are dropped, so latency stays bounded when the camera is faster than the model);
offline, it processes every pair in order.

With crop_tracking (live only), the node does not wait for each image's detections: it takes the newest
image, follows every person it found before from their last pose (core.crop_tracking) and adds the
people in the newest detections it has not used yet, so the detection node can run at its own, slower
rate (its min_interval) and every image the node takes is answered. Those detections are from an image
about one detector run time old: a new person's box is posed on the image it came from (the node keeps
the images it answered over the last 1.5 s, 0.1 s apart) and followed through the kept ones since, so the
crop lands where they are now.

Also publishes the keypoint layout once, latched, on `keypoint_layout`. A managed node:
configure loads the model (a missing or mismatched checkpoint fails the transition
with the reason), activate starts processing; autostart by default.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from vision_msgs.msg import Detection2DArray

from alphapose_ros.core.crop_tracking import CropTracker, RecentFrames
from alphapose_ros.core.detectors.external import BoxFilter, filter_boxes
from alphapose_ros.core.engines.first_use_int8 import FirstUseInt8, for_pose_network
from alphapose_ros.core.pose.estimator import PoseEstimator
from alphapose_ros.core.models.config import build_model, load_config
from alphapose_ros.core.pipeline import drop_non_finite, one_pass_per_crop, pose_followed_people, proposal_scores
from alphapose_ros.core.pose.backends import checkpoint_for_config, make_embedder, make_pose_estimator
from alphapose_ros.core.pose.checkpoints import load_checkpoint
from alphapose_ros.core.poses import PoseSet
from alphapose_ros.msg import KeypointLayout, WholeBodyPoseArray
from alphapose_ros.ros.conversions import layout_msg, poses_to_msg, stamp_seconds
from alphapose_ros.ros.detection_msgs import msg_to_detections
from alphapose_ros.ros.diagnostics import StageMonitor, counting_losses, declare_no_input_warning
from alphapose_ros.core.io.image_msgs import ImageError
from alphapose_ros.ros.images import declare_compressed, image_input, subscribe_images
from alphapose_ros.ros.node_utils import SkipLog, declare, declare_path, int8_from_cache, int8_switch
from alphapose_ros.ros.qos import (OFFLINE_DEPTH, CameraSubscription, declare_camera_reliable, latched_qos,
                                  stage_qos)
from alphapose_ros.ros.sync import StampPairer, guarded_time_synchronizer, stamp_key


class PoseEstimationNode(LifecycleNode):
    def __init__(self, name: str = "pose_estimation", **kwargs):
        super().__init__(name, **kwargs)
        self.p = {
            "backend": declare(self, "backend", "auto",
                               "auto (alphapose when pose_config is set, else mediapipe) | alphapose | mediapipe"),
            "keypoint_format": declare(self, "keypoint_format", "halpe_26",
                                       "mediapipe backend: halpe_26 (body+feet) or halpe_136 (+ face and hands)"),
            "pose_model": declare_path(self, "pose_model", "pose model by name (rtmpose-m, rtmw-m, ...: "
                                       "alphapose-download --list) or an .onnx file (RTMPose/RTMW/DWPose release, or "
                                       "an alphapose-export); instead of pose_config"),
            "pose_config": declare_path(self, "pose_config", "AlphaPose model config (YAML), as passed to AlphaPose; "
                                        "empty: the no-download MediaPipe backend"),
            "checkpoint": declare_path(self, "checkpoint", "pose checkpoint (.pth) matching pose_config "
                                       "(empty: the cached official one for pose_config)"),
            "allow_untrained": declare(self, "allow_untrained", False,
                                       "run with untrained weights when checkpoint is empty (tests, benchmarks)"),
            "reid_weights": declare(self, "reid_weights", "auto",
                                    "re-ID weights for tracking embeddings: a path (OSNet-AIN, or a pose-guided "
                                    "branch alphapose-train wrote beside this checkpoint), auto (the official "
                                    "OSNet-AIN file when it is in the model cache) or none"),
            "device": declare(self, "device", "cpu", "cpu or cuda[:N]"),
            "fp16": declare(self, "fp16", False, "half precision on CUDA"),
            "flip": declare(self, "flip", False, "flip test (a mirrored second pass)"),
            "pose_batch": declare(self, "pose_batch", 16, "crops per network batch", range=(1, 1024)),
            "torchscript": declare(self, "torchscript", True,
                                   "trace the network: inference then does not wait on the GIL between layers"),
            "engine": declare(self, "engine", "torch",
                              "what runs the AlphaPose network: torch | onnxruntime | openvino (an export of "
                              "the checkpoint made on first use, or exported_model)"),
            "exported_model": declare_path(self, "exported_model",
                                           "an alphapose-export .onnx (FP32 or INT8) with its sidecar; needs engine "
                                           "onnxruntime or openvino (empty: export the checkpoint)"),
            "int8": declare(self, "int8", "off",
                            "first_use: an AlphaPose network on the CPU (engine torch) calibrates an INT8 copy from "
                            "the first int8_crops people it poses, in the background, and switches to it (ONNX "
                            "Runtime) when ready; cached per checkpoint, so later starts use it at once. off: no"),
            "int8_crops": declare(self, "int8_crops", 64, "people's crops that calibrate the INT8 copy",
                                  range=(1, 4096)),
            "min_box_score": declare(self, "min_box_score", 0.1, "ignore boxes below this detector score",
                                     range=(0.0, 1.0)),
            "sync_queue": declare(self, "sync_queue", 10, "images/detections kept while waiting for a partner (offline: all)",
                                  range=(1, 10000)),
            "queue_depth": declare(self, "queue_depth", 2, "output queue depth (bounds latency)", range=(1, 1000)),
            "offline": declare(self, "offline", False, "reliable input, deep queues: process every frame"),
            "crop_tracking": declare(self, "crop_tracking", True,
                                     "live: answer the newest image at once, people followed from their last "
                                     "poses plus the newest detections (false: wait for each image's detections)"),
            "autostart": declare(self, "autostart", True, "configure and activate on start-up"),
            "no_input_warn_s": declare_no_input_warning(self),
            "camera_reliable": declare_camera_reliable(self),
            "compressed": declare_compressed(self),
        }
        self.image_type, self.image_topic, self.convert = image_input(self.p["compressed"])
        self.skip = SkipLog(self.get_logger())
        self.pair_drops = SkipLog(self.get_logger())  # frames the pairing gave up on, by reason
        self.monitor: StageMonitor | None = None
        self.estimator: PoseEstimator | None = None
        self.subs = []
        self.camera: CameraSubscription | None = None
        # offline, a burst of images may arrive long before their (slower) detections: keep them all, in
        # any stamp order; live, never pair an ambiguous stamp
        offline = self.p["offline"]
        self.pairer = StampPairer(self._enqueue, OFFLINE_DEPTH if offline else self.p["sync_queue"],
                                  lossless=offline, on_drop=self.pair_drops)
        self._pending: deque = deque(maxlen=None if self.p["offline"] else 1)
        self.crops = CropTracker()  # live: the detection node's min_interval is the schedule
        self.recent = RecentFrames()  # live: the images late detections are posed on (core.pipeline.caught_up)
        self._latest_dets = None  # crop tracking: the newest detections not used yet
        self._untrained = False  # untrained weights (tests): never crop tracking
        self.int8: FirstUseInt8 | None = None  # INT8 on first use, while it is being made
        self.estimator = None
        self._cv = threading.Condition()
        self._worker: threading.Thread | None = None
        self._running = False
        self.dropped_pairs = 0
        if self.p["autostart"]:
            self.trigger_configure()
            self.trigger_activate()

    def on_configure(self, state) -> TransitionCallbackReturn:
        p = self.p
        try:
            self._untrained = bool(p["pose_config"] and not p["checkpoint"] and p["allow_untrained"])
            if self._untrained:
                cfg = load_config(p["pose_config"])
                model = build_model(cfg)
                self._untrained_state = {k: v.clone() for k, v in model.state_dict().items()}
                self.estimator = PoseEstimator(cfg, model, device=p["device"], half=p["fp16"],
                                               batch_size=p["pose_batch"], flip=p["flip"],
                                               torchscript=p["torchscript"], engine=p["engine"],
                                               embedder=make_embedder(p["reid_weights"], p["device"], p["fp16"]))
            else:
                self.estimator = make_pose_estimator(
                    p["backend"], cfg=p["pose_config"] or None, checkpoint=p["checkpoint"] or None,
                    keypoint_format=p["keypoint_format"], device=p["device"], half=p["fp16"],
                    batch_size=p["pose_batch"], flip=p["flip"], torchscript=p["torchscript"], reid=p["reid_weights"],
                    engine=p["engine"], exported=p["exported_model"] or None, pose_model=p["pose_model"] or None)
            if p["int8"] not in ("off", "first_use"):
                raise ValueError(f"int8 must be off or first_use, got {p['int8']!r}")
            self.int8 = self._first_use_int8() if p["int8"] == "first_use" else None
        except Exception as e:
            self.get_logger().error(f"cannot configure the pose model: {e}")
            return TransitionCallbackReturn.FAILURE
        if self.p["crop_tracking"] and self._untrained:
            self.get_logger().warning("crop_tracking off: untrained weights find nobody to follow; every image "
                                      "waits for its detections")
        if self._one_stage():
            self.get_logger().info("one-stage pose model: it finds the people in each image itself; the detection "
                                   "node is not needed (detection:=false)")
        elif self._tracking_crops():
            one_pass_per_crop(self.estimator)
        self.pub = self.create_publisher(WholeBodyPoseArray, "poses_raw", stage_qos(p["queue_depth"], p["offline"]))
        self.layout_pub = self.create_publisher(KeypointLayout, "keypoint_layout", latched_qos())
        self.layout_pub.publish(layout_msg(self.estimator.format))
        self.filter = BoxFilter(confidence=p["min_box_score"], nms_thresh=None)
        self.get_logger().info(f"pose model: {self.estimator.describe()} on {p['device']}")
        return TransitionCallbackReturn.SUCCESS

    def _first_use_int8(self) -> FirstUseInt8 | None:
        """INT8 on first use for an AlphaPose network run by torch on the CPU (others: said, and None); the
        cached copy of these weights is switched to at once."""
        est, p, log = self.estimator, self.p, self.get_logger()
        if not isinstance(est, PoseEstimator) or est.engine != "torch" or est.device.type != "cpu" \
                or getattr(est, "_shared_reid", False):
            log.info("int8 first_use is for AlphaPose networks run by torch on the CPU: not for "
                     f"{est.describe()} on {p['device']}; left as it is")
            return None
        cfg = est.cfg
        model = build_model(cfg)
        if not self._untrained:
            load_checkpoint(model, p["checkpoint"] or checkpoint_for_config(p["pose_config"]), cfg)
        else:
            model.load_state_dict(self._untrained_state)
        int8 = for_pose_network(cfg, model, lambda path: PoseEstimator.from_exported(
            path, "onnxruntime", batch_size=p["pose_batch"], flip=p["flip"], embedder=est.embedder),
            crops=p["int8_crops"])
        self.estimator = int8_from_cache(int8, log, "pose network", f"{int8.want} people posed") or est
        return int8

    def _int8_step(self, rgb, boxes) -> None:
        """INT8 on first use: offer this frame's people, switch once the INT8 copy is ready."""
        self.estimator = int8_switch(self.int8, self.get_logger(), "pose network", rgb, boxes) or self.estimator

    def on_activate(self, state) -> TransitionCallbackReturn:
        offline = self.p["offline"]
        self._running = True
        self._worker = threading.Thread(target=self._work, name="pose_inference", daemon=True)
        self._worker.start()
        det_qos = stage_qos(self.p["sync_queue"], offline)

        def subscribe(image_qos) -> None:
            for sub in self.subs:
                self.destroy_subscription(sub)
            self.subs = self._pair_subscriptions(image_qos, det_qos)
            if self.monitor is not None:
                self.monitor.qos = image_qos

        if offline:
            image_qos = stage_qos(1, True)
            subscribe(image_qos)
        else:  # a camera: match its publishers' reliability
            self.camera = CameraSubscription(self, self.image_topic, self.p["sync_queue"], self.p["camera_reliable"],
                                             subscribe)
            image_qos = self.camera.qos
        if self.monitor is None:
            self.monitor = StageMonitor(self, "pose estimation", self.image_topic, image_qos,
                                        no_input_warn_s=self.p["no_input_warn_s"],
                                        drops=lambda: self.dropped_pairs + self.pair_drops.total + self.skip.total)
        self.monitor.restart()
        return super().on_activate(state)

    def _pair_subscriptions(self, image_qos, det_qos) -> list:
        """Images and detections paired by exact stamp. Live: message_filters' TimeSynchronizer where it
        is installed (behind guards for ambiguous stamps), else the package's StampPairer with the same
        policy. Offline: the StampPairer's lossless policy (the synchronizer keeps one message per stamp)."""
        if self._tracking_crops() or self._one_stage():
            def image_sub(**kw):
                return subscribe_images(self, self.image_type, self.image_topic, self._on_newest_image, image_qos,
                                        self.skip, **kw)

            images = counting_losses(image_sub, lambda: self.monitor)
            if self._one_stage():  # images alone: the model finds the people
                return [images]
            return [images, self.create_subscription(Detection2DArray, "detections", self._on_detections, det_qos)]
        message_filters = None
        if not self.p["offline"]:
            try:
                import message_filters
            except ImportError:
                pass
        if message_filters is None:
            def image_sub(**kw):
                return subscribe_images(self, self.image_type, self.image_topic, lambda m: self._add(m, True),
                                        image_qos, self.skip, **kw)

            return [counting_losses(image_sub, lambda: self.monitor),
                    self.create_subscription(Detection2DArray, "detections", lambda m: self._add(m, False), det_qos)]
        def image_filter(**kw):  # message_filters' input, fed by images taken serialized (ros/images.py)
            f = message_filters.SimpleFilter()
            f.sub = subscribe_images(self, self.image_type, self.image_topic, f.signalMessage, image_qos, self.skip,
                                     **kw)
            return f

        img = counting_losses(image_filter, lambda: self.monitor)
        det = message_filters.Subscriber(self, Detection2DArray, "detections", qos_profile=det_qos)
        img.registerCallback(lambda m: self.monitor.on_input())
        self._sync = guarded_time_synchronizer(message_filters, [img, det], self.pairer.capacity, self._on_synced,
                                               self.pair_drops)
        return [img.sub, det.sub]

    def _tracking_crops(self) -> bool:
        return self.p["crop_tracking"] and not self.p["offline"] and not self._untrained and not self._one_stage()

    def _one_stage(self) -> bool:
        return bool(getattr(self.estimator, "one_stage", False))

    def _on_newest_image(self, image) -> None:
        self.monitor.on_input()
        with self._cv:
            self._enqueue(image, None)

    def _on_detections(self, dets: Detection2DArray) -> None:
        with self._cv:
            self._latest_dets = dets

    def _take_detections(self, image) -> Detection2DArray | None:
        """The newest detections not used yet, when they are not from a later image than this one."""
        with self._cv:
            dets = self._latest_dets
            if dets is None or stamp_key(dets.header) > stamp_key(image.header):
                return None
            self._latest_dets = None
            return dets

    def _on_synced(self, image, dets: Detection2DArray) -> None:
        with self._cv:
            self._enqueue(image, dets)

    def on_deactivate(self, state) -> TransitionCallbackReturn:
        if self.camera is not None:
            self.camera.close()
            self.camera = None
        for s in self.subs:
            self.destroy_subscription(s)
        self.subs = []
        with self._cv:
            self._running = False
            self._pending.clear()
            self._cv.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=10)
        self.pairer.clear()
        return super().on_deactivate(state)

    def destroy_node(self):
        with self._cv:
            self._running = False
            self._cv.notify_all()
        return super().destroy_node()

    def _add(self, msg, is_image: bool) -> None:
        if is_image:
            self.monitor.on_input()
        with self._cv:  # the pairer is shared by both subscriptions
            (self.pairer.add_first if is_image else self.pairer.add_second)(msg, stamp_key(msg.header))

    def _enqueue(self, image, dets: Detection2DArray) -> None:
        # called with self._cv held
        if self._pending.maxlen is not None and len(self._pending) == self._pending.maxlen:
            self.dropped_pairs += 1  # live: the newest pair replaces the one not yet started
        self._pending.append((image, dets))
        self._cv.notify()

    def _work(self) -> None:
        while True:
            with self._cv:
                while self._running and not self._pending:
                    self._cv.wait(0.5)
                if not self._running:
                    return
                image, dets = self._pending.popleft()
            try:
                if dets is None:
                    self._on_newest(image)
                else:
                    self._on_pair(image, dets)
            except Exception as e:  # never let one frame kill the worker
                self.skip(f"pose inference failed: {type(e).__name__}: {e}")

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        if self.int8 is not None:  # an export under way would race the next configure's tracing
            self.int8.wait()
        self.int8 = None
        self.estimator = None
        return TransitionCallbackReturn.SUCCESS

    def _decode(self, image):
        try:
            return self.convert(image)
        except ImageError as e:
            self.skip(str(e))
            return None

    def _on_newest(self, image) -> None:
        """Crop tracking: the followed people plus the new ones in the newest detections (a one-stage model:
        the people it finds)."""
        started = time.perf_counter()
        bgr = self._decode(image)
        if bgr is None:
            return
        h, w = bgr.shape[:2]
        if self._one_stage():
            self._publish(image.header, *drop_non_finite(*self.estimator.people(bgr[..., ::-1].copy())), (w, h),
                          started)
            return
        dets = self._take_detections(image)
        d = None if dets is None else filter_boxes(msg_to_detections(dets), (w, h), self.filter)
        rgb = bgr[..., ::-1].copy()
        boxes, scores, out, n_bad = pose_followed_people(
            self.crops, self.estimator, rgb, stamp_seconds(image.header),
            None if d is None else d.boxes, None if d is None else d.scores,
            None if dets is None else stamp_seconds(dets.header), self.recent)
        self._publish(image.header, boxes, scores, out, n_bad, (w, h), started)
        self._int8_step(rgb, boxes)

    def _on_pair(self, image, dets: Detection2DArray) -> None:
        started = time.perf_counter()
        bgr = self._decode(image)
        if bgr is None:
            return
        h, w = bgr.shape[:2]
        d = filter_boxes(msg_to_detections(dets), (w, h), self.filter)
        rgb = bgr[..., ::-1].copy()  # the network takes RGB
        out = self.estimator(rgb, d.boxes)
        self._publish(image.header, *drop_non_finite(d.boxes, d.scores, out), (w, h), started)
        self._int8_step(rgb, d.boxes)

    def _publish(self, header, boxes, scores, out, n_bad: int, size: tuple[int, int], started: float) -> None:
        if n_bad:
            self.skip("non-finite network output for some boxes (dropped them)")
        est, ks = self.estimator, out.keypoint_scores
        poses = PoseSet(est.format.name, boxes, scores, out.keypoints, ks, proposal_scores(ks, scores),
                        embeddings=out.embeddings, head=est.head)
        self.pub.publish(poses_to_msg(poses, header, *size))
        self.monitor.on_output(header, started)
