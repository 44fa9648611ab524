"""Detection node: camera images in, person boxes out (vision_msgs/Detection2DArray).

Runs a detector (yolov3 | yolox-* | hog | hog-small | blazepose), or with detector:=external forwards
the boxes another node publishes on `detections_in` through the same filtering. Live, a worker thread
detects on the newest image (at most every `min_interval` s of image time, longer when its runs are slow:
`max_duty`) while the callbacks only keep the newest; it may run with fewer threads and a lower priority
(`threads`, `nice`), so that on a small CPU the pose stage answers every frame first. Offline, every image
in order. A managed node: configure loads the model, activate starts processing; autostart by default.
"""
from __future__ import annotations

import threading
import time

import numpy as np
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from vision_msgs.msg import Detection2DArray

from alphapose_ros.core.cpu_share import lower_thread_priority
from alphapose_ros.core.crop_tracking import detection_interval
from alphapose_ros.core.detectors.external import BoxFilter, filter_boxes
from alphapose_ros.core.detectors.factory import make_detector
from alphapose_ros.core.engines.first_use_int8 import FirstUseInt8, for_detector
from alphapose_ros.ros.conversions import stamp_seconds
from alphapose_ros.ros.detection_msgs import detections_to_msg, msg_to_detections
from alphapose_ros.ros.diagnostics import StageMonitor, counting_losses, declare_no_input_warning
from alphapose_ros.core.io.image_msgs import ImageError
from alphapose_ros.ros.images import declare_compressed, image_input, subscribe_images
from alphapose_ros.ros.node_utils import SkipLog, declare, declare_path, int8_from_cache, int8_switch
from alphapose_ros.ros.qos import CameraSubscription, declare_camera_reliable, stage_qos


class DetectionNode(LifecycleNode):
    def __init__(self, name: str = "detection", **kwargs):
        super().__init__(name, **kwargs)
        self.p = {
            "detector": declare(self, "detector", "hog",
                                "yolov3 | yolox-nano..yolox-x | hog, hog-small (far people), blazepose (no download) | "
                                "external"),
            "tile": declare(self, "tile", 0, "blazepose: also detect on overlapping tiles of this size in px "
                            "(finds far-away people; 0 = whole image only)", range=(0, 4096)),
            "det_model": declare_path(self, "det_model", "person detector by name (yolox-m-human, yolox-tiny-human) "
                                      "or an end-to-end .onnx file; instead of detector"),
            "yolo_cfg": declare_path(self, "yolo_cfg", "darknet cfg for yolov3 (AlphaPose's yolov3-spp.cfg)"),
            "weights": declare_path(self, "weights", "detector weights: yolov3-spp.weights or a YOLOX release .pth"),
            "exported_model": declare_path(self, "exported_model", "an alphapose-export detector-int8 .onnx with its "
                                           "sidecar (YOLO detectors); needs engine onnxruntime or openvino"),
            "confidence": declare(self, "confidence", 0.1, "detection confidence threshold (low for recall)",
                                  range=(0.0, 1.0)),
            "nms_thresh": declare(self, "nms_thresh", 0.6, "box NMS IoU threshold", range=(0.0, 1.0)),
            "box_nms": declare(self, "box_nms", "hard", "YOLO detectors: hard (AlphaPose's) or soft (Gaussian "
                               "soft-NMS: overlapping boxes decayed, not deleted)"),
            "device": declare(self, "device", "cpu", "cpu or cuda[:N]"),
            "fp16": declare(self, "fp16", False, "half precision on CUDA"),
            "engine": declare(self, "engine", "torch", "what runs the YOLO network: torch | onnxruntime | openvino "
                              "(an export made on first use)"),
            "int8": declare(self, "int8", "off",
                            "first_use: a YOLO detector on the CPU (engine torch) calibrates an INT8 copy from the "
                            "first int8_frames images, in the background, and switches to it (ONNX Runtime) when "
                            "ready; cached per weights, so later starts use it at once. off: no"),
            "int8_frames": declare(self, "int8_frames", 16, "images that calibrate the detector's INT8 copy",
                                   range=(1, 1024)),
            "min_interval": declare(self, "min_interval", 0.0,
                                    "live: seconds of image time between detections (0: every image it can take; "
                                    "offline: always every image); with the pose node's crop_tracking the "
                                    "detector only has to find new people",
                                    range=(0.0, 60.0)),
            "max_duty": declare(self, "max_duty", 1.0,
                                "live: the detector is busy at most this fraction of the time: after a run of d s "
                                "the next waits max(min_interval, d / max_duty) s of image time (a large camera or a "
                                "busy CPU spaces runs out, so the pose stage keeps its CPU); 1: no cap",
                                range=(0.05, 1.0)),
            "threads": declare(self, "threads", 0, "CPU threads of hog/hog-small (OpenCV's, process-wide) and "
                               "blazepose (LiteRT's); 0: the library's default", range=(0, 256)),
            "nice": declare(self, "nice", 0, "live: lower the detector thread's CPU priority by this (Linux nice): "
                            "the pose stage, which answers every frame, comes first", range=(0, 19)),
            "compressed": declare_compressed(self),
            "queue_depth": declare(self, "queue_depth", 2, "output queue depth (bounds latency)", range=(1, 1000)),
            "offline": declare(self, "offline", False, "reliable input, deep queues: process every frame"),
            "autostart": declare(self, "autostart", True, "configure and activate on start-up"),
            "no_input_warn_s": declare_no_input_warning(self),
            "camera_reliable": declare_camera_reliable(self),
        }
        self.skip = SkipLog(self.get_logger())
        self.monitor: StageMonitor | None = None
        self.detector = None
        self.int8: FirstUseInt8 | None = None  # INT8 on first use, while it is being made
        self.pub = None
        self.sub = None
        self.camera: CameraSubscription | None = None
        self._last_t: float | None = None  # image time of the last detection
        self._interval = 0.0  # image time until the next (detection_interval)
        self._newest = None  # live: the newest image not detected yet
        self._cv = threading.Condition()
        self._worker: threading.Thread | None = None
        self._running = False
        if self.p["autostart"]:
            self.trigger_configure()
            self.trigger_activate()

    def on_configure(self, state) -> TransitionCallbackReturn:
        p = self.p
        try:
            if p["detector"] != "external":
                self.detector = make_detector(p["detector"], weights=p["weights"] or None,
                                              yolo_cfg=p["yolo_cfg"] or None, confidence=p["confidence"],
                                              nms_thresh=p["nms_thresh"], device=p["device"], half=p["fp16"],
                                              tile=p["tile"], engine=p["engine"], box_nms=p["box_nms"],
                                              threads=p["threads"], model=p["det_model"] or None,
                                              exported=p["exported_model"] or None)
            if p["int8"] not in ("off", "first_use"):
                raise ValueError(f"int8 must be off or first_use, got {p['int8']!r}")
            self.int8 = self._first_use_int8() if p["int8"] == "first_use" else None
        except Exception as e:  # a missing/mismatched weights file must not crash the graph
            self.get_logger().error(f"cannot configure detector: {e}")
            return TransitionCallbackReturn.FAILURE
        self.pub = self.create_publisher(Detection2DArray, "detections", stage_qos(p["queue_depth"], p["offline"]))
        self.filter = BoxFilter(confidence=p["confidence"], nms_thresh=p["nms_thresh"])
        return TransitionCallbackReturn.SUCCESS

    def _first_use_int8(self) -> FirstUseInt8 | None:
        """INT8 on first use for a YOLO detector run by torch on the CPU (others: said, and None); the cached
        copy of these weights is switched to at once."""
        p, det, log = self.p, self.detector, self.get_logger()
        if not hasattr(det, "net") or p["det_model"] or p["engine"] != "torch" or p["device"] != "cpu" \
                or p["exported_model"]:
            log.info(f"int8 first_use is for the YOLO detectors run by torch on the CPU, not {p['detector']} with "
                     f"engine {p['engine']} on {p['device']}; left as it is")
            return None
        int8 = for_detector(det, lambda path: make_detector(
            p["detector"], weights=p["weights"] or None, yolo_cfg=p["yolo_cfg"] or None, confidence=p["confidence"],
            nms_thresh=p["nms_thresh"], engine="onnxruntime", box_nms=p["box_nms"], exported=path),
            frames=p["int8_frames"])
        self.detector = int8_from_cache(int8, log, "detector", f"{int8.want} images") or det
        return int8

    def _int8_step(self, img: np.ndarray) -> None:
        """INT8 on first use: offer this image, switch once the INT8 copy is ready."""
        self.detector = int8_switch(self.int8, self.get_logger(), "detector", img, np.zeros((0, 4))) or self.detector

    def on_activate(self, state) -> TransitionCallbackReturn:
        p = self.p
        if p["detector"] == "external":
            topic, msg_type, callback = "detections_in", Detection2DArray, self._on_external
        else:
            msg_type, topic, self.convert = image_input(p["compressed"])
            callback = self._on_offline_image if p["offline"] else self._on_newest_image
            if not p["offline"]:
                self._running = True
                self._worker = threading.Thread(target=self._work, name="detection", daemon=True)
                self._worker.start()

        def subscribe(qos) -> None:
            if self.sub is not None:
                self.destroy_subscription(self.sub)
            self.sub = counting_losses(lambda **kw: subscribe_images(self, msg_type, topic, callback, qos, self.skip,
                                                                     **kw),
                                       lambda: self.monitor)
            if self.monitor is not None:
                self.monitor.qos = qos

        if p["detector"] == "external" or p["offline"]:
            in_qos = stage_qos(10 if p["detector"] == "external" else 1, p["offline"])
            subscribe(in_qos)
        else:  # a camera: match its publishers' reliability
            self.camera = CameraSubscription(self, topic, 1, p["camera_reliable"], subscribe)
            in_qos = self.camera.qos
        if self.monitor is None:
            self.monitor = StageMonitor(self, "detection", topic, in_qos, no_input_warn_s=p["no_input_warn_s"],
                                        drops=lambda: self.skip.total)
        self.monitor.restart()
        return super().on_activate(state)

    def on_deactivate(self, state) -> TransitionCallbackReturn:
        if self.camera is not None:
            self.camera.close()
            self.camera = None
        if self.sub is not None:
            self.destroy_subscription(self.sub)
            self.sub = None
        self._stop_worker()
        return super().on_deactivate(state)

    def destroy_node(self):
        self._stop_worker()
        return super().destroy_node()

    def _stop_worker(self) -> None:
        if not hasattr(self, "_cv"):  # a parameter refused in __init__: no worker was made
            return
        with self._cv:
            self._running = False
            self._newest = None
            self._cv.notify_all()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=10)
        self._worker = None

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        if self.int8 is not None:  # an export under way would race the next configure
            self.int8.wait()
        self.int8 = None
        self.detector = None
        if self.pub is not None:
            self.destroy_publisher(self.pub)
            self.pub = None
        return TransitionCallbackReturn.SUCCESS

    def _on_newest_image(self, msg) -> None:
        """Live: keep only the newest image; the worker detects when it is free."""
        self.monitor.on_input()
        with self._cv:
            self._newest = msg
            self._cv.notify()

    def _work(self) -> None:
        why = lower_thread_priority(self.p["nice"])
        if why:
            self.get_logger().warning(f"nice {self.p['nice']} not applied: {why}")
        while True:
            with self._cv:
                while self._running and self._newest is None:
                    self._cv.wait(0.5)
                if not self._running:
                    return
                msg, self._newest = self._newest, None
            try:
                self._on_image(msg)
            except Exception as e:  # never let one frame kill the worker
                self.skip(f"detection failed: {type(e).__name__}: {e}")

    def _on_offline_image(self, msg) -> None:
        self.monitor.on_input()
        self._on_image(msg)

    def _on_image(self, msg) -> None:
        t = stamp_seconds(msg.header)
        if not self.p["offline"] and self._last_t is not None and 0.0 <= t - self._last_t < self._interval:
            return  # not yet: live, the detector runs at its own rate (offline, every image gets its boxes)
        self._last_t = t
        started = time.perf_counter()
        try:
            img = self.convert(msg)
        except ImageError as e:
            self.skip(str(e))
            return
        self._detect(img, msg.header, started)
        self._interval = detection_interval(self.p["min_interval"], time.perf_counter() - started,
                                            self.p["max_duty"])

    def _detect(self, img: np.ndarray, header, started: float) -> None:
        det = self.detector.detect([img])[0]
        self.pub.publish(detections_to_msg(det, header))
        self.monitor.on_output(header, started)
        self._int8_step(img)

    def _on_external(self, msg: Detection2DArray) -> None:
        self.monitor.on_input()
        started = time.perf_counter()
        self.pub.publish(detections_to_msg(filter_boxes(msg_to_detections(msg), None, self.filter), msg.header))
        self.monitor.on_output(msg.header, started)
