"""Frames/s a CPU robot would get with downloaded weights on INT8 engines: AlphaPose's FastPose-50 (Halpe-26)
and YOLOX-nano, both quantised to INT8 and run by ONNX Runtime, replaying the work the no-download default
did on the same frames (the detector on the frames where it ran, the pose network on the crops it posed).

Official weights cannot be downloaded here, so both networks have seeded random weights in their official
layouts: speed only (their boxes and poses mean nothing, which is why the default's work is replayed rather
than followed, and why the detector is timed to its decoded outputs, before its box filtering). Their INT8
activation ranges are calibrated on vtest frames and crops. Called by
bench.real_people, which records the workload.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

FASTPOSE_50_HALPE26 = {"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "CONV_DIM": 256},
                       "DATA_PRESET": {"NUM_JOINTS": 26}, "LOSS": {"TYPE": "L1JointRegression"},
                       "DATASET": {"TRAIN": {"TYPE": "Halpe_26"}}}


@dataclass
class Workload:
    """What a run did per video frame: the frames its detector ran on, and the crops its pose stage posed."""

    detected: set[int] = field(default_factory=set)
    crops: dict[int, np.ndarray] = field(default_factory=dict)


class RecordingDetector:
    """A detector that notes which images it was given (by object identity while they are alive)."""

    def __init__(self, detector):
        self.detector, self.name, self.seen = detector, detector.name, set()

    def detect(self, images: list[np.ndarray]) -> list:
        self.seen.update(id(im) for im in images)
        return self.detector.detect(images)

    def ran_on(self, image: np.ndarray) -> bool:
        """Whether it ran on `image` (asked once per image, while the image is still alive)."""
        if id(image) in self.seen:
            self.seen.discard(id(image))
            return True
        return False


def int8_models(work: Path):
    """(FastPose-50 INT8 estimator, YOLOX-nano INT8 detector), calibrated on vtest."""
    from alphapose_ros.bench.engines import FOOTAGE, record_vtest_calibration
    from alphapose_ros.core.detectors.factory import make_detector
    from alphapose_ros.core.detectors.yolox import YoloxDetector
    from alphapose_ros.core.engines.int8 import calibration_crops, calibration_frames, quantize_detector, quantize_int8
    from alphapose_ros.core.engines.onnx_export import export_onnx, state_sha256, write_sidecar
    from alphapose_ros.core.models.config import build_model, parse_config
    from alphapose_ros.core.pose.estimator import PoseEstimator

    assert FOOTAGE.is_file(), f"{FOOTAGE}: install Debian's opencv-doc"
    torch.manual_seed(0)
    cfg = parse_config(FASTPOSE_50_HALPE26)
    model = build_model(cfg).eval()
    record_vtest_calibration(work / "calib.npz", 20, every=10)
    export_onnx(model, cfg.input_hw, work / "pose_fp32.onnx")
    quantize_int8(work / "pose_fp32.onnx", work / "pose_int8.onnx", calibration_crops(work / "calib.npz", cfg.input_hw))
    write_sidecar(work / "pose_int8.onnx", cfg, precision="int8", checkpoint_sha256=state_sha256(model))
    pose = PoseEstimator.from_exported(work / "pose_int8.onnx", "onnxruntime")
    det = YoloxDetector("yolox-nano", None)
    quantize_detector(det, calibration_frames(work / "calib.npz", 8), work / "yolox_nano_int8.onnx")
    return pose, make_detector("yolox-nano", engine="onnxruntime", exported=work / "yolox_nano_int8.onnx")


def replay(video: Path, workload: Workload, last: int) -> tuple[float, dict[str, float]]:
    """(frames/s, ms per frame of each stage) of the INT8 models doing `workload` over frames 0..last, the two
    stages concurrent as the pipeline runs them."""
    from alphapose_ros.core.concurrent_pipeline import ConcurrentPipeline, Stage

    with tempfile.TemporaryDirectory(prefix="int8-replay-") as tmp:
        pose, det = int8_models(Path(tmp))

        def detect(items) -> None:  # the network and its decoding; random weights give random boxes, whose
            for it in items:           # filtering and NMS would time noise (a trained detector's take < 1 ms)
                if it.payload[0] in workload.detected:
                    det.predictions(torch.from_numpy(det.network_inputs([it.payload[1]])))

        def estimate(items) -> None:
            for it in items:
                i, img = it.payload
                boxes = workload.crops.get(i, np.zeros((0, 4), np.float32))
                pose(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), boxes)

        pipe = ConcurrentPipeline([Stage("detect", detect), Stage("pose", estimate)])
        t0 = time.perf_counter()
        n = sum(1 for _ in pipe.run(_frames(video, last)))  # decoding included, as in the pipeline
        dt = time.perf_counter() - t0
    return n / dt, {name: 1000 * st.busy_s / max(n, 1) for name, st in pipe.stats.items()}


def _frames(video: Path, last: int):
    cap = cv2.VideoCapture(str(video))
    try:
        for i in range(last + 1):
            ok, img = cap.read()
            if not ok:
                return
            yield i, img
    finally:
        cap.release()
