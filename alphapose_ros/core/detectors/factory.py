"""Build a person detector by name: the one place the CLI commands and the detection node share."""
from __future__ import annotations

from pathlib import Path

from alphapose_ros.core.cpu_share import limit_opencv_threads
from alphapose_ros.core.detectors.base import Detector

# names only, so that argument parsers need not import torch (yolox_net.VARIANTS has the sizes)
YOLOX_VARIANTS = ("yolox-nano", "yolox-tiny", "yolox-s", "yolox-m", "yolox-l", "yolox-x")
DETECTORS = ("yolov3", *YOLOX_VARIANTS, "hog", "hog-small", "blazepose")


def make_detector(kind: str, *, weights: str | Path | None = None, yolo_cfg: str | Path | None = None,
                  confidence: float = 0.1, nms_thresh: float = 0.6, device: str = "cpu",
                  half: bool = False, tile: int = 0, engine: str = "torch", box_nms: str = "hard",
                  threads: int = 0, model: str | None = None, exported: str | Path | None = None) -> Detector:
    """yolov3 (darknet cfg + weights), yolox-nano..yolox-x (release .pth), hog (no download; hog-small: on the
    frame upscaled to 864 px, every window kept, for far and half-hidden people, ~2x slower), or
    blazepose (MediaPipe's person detector, fetched once by set-up; `tile` > 0 adds tiles for small people).
    `engine` runs the YOLO networks on torch, onnxruntime or openvino (HOG and BlazePose have their own);
    `box_nms` soft keeps the YOLO detectors' overlapping boxes with decayed scores (soft-NMS). `threads` > 0
    caps the CPU threads of HOG (OpenCV's, process-wide) and BlazePose (LiteRT's); 0: their defaults.
    `model` (a manifest name such as yolox-m-human, or an end-to-end .onnx file) takes precedence over `kind`:
    RTMPose's detectors, run by ONNX Runtime (engine torch means ONNX Runtime here) or OpenVINO. `exported` (an
    alphapose-export detector-int8 file) runs in place of the YOLO network's own export (engine onnxruntime or
    openvino)."""
    if exported and kind not in ("yolov3", *YOLOX_VARIANTS):
        raise ValueError(f"{exported}: an exported detector file is for the YOLO detectors, not {kind}")
    if model:
        return end2end_detector(model, confidence=confidence, device=device, engine=engine, threads=threads)
    if kind == "yolov3":
        from alphapose_ros.core.detectors.yolov3 import YoloSettings, YoloV3Detector

        if not (yolo_cfg and (weights or exported)):
            raise ValueError("detector yolov3 needs a darknet cfg and weights (yolov3-spp.cfg, yolov3-spp.weights; "
                             "see alphapose-download yolov3-spp), or use detector hog")
        return YoloV3Detector(yolo_cfg, weights or None, YoloSettings(confidence=confidence, nms_thresh=nms_thresh,
                                                              box_nms=box_nms),
                              device=device, half=half, engine=engine, exported=exported)
    if kind in YOLOX_VARIANTS:
        from alphapose_ros.core.detectors.yolox import YoloxDetector, YoloxSettings

        if not (weights or exported):
            raise ValueError(f"detector {kind} needs its release checkpoint ({kind.replace('-', '_')}.pth; "
                             f"see alphapose-download {kind}), or use detector hog")
        return YoloxDetector(kind, weights or None, YoloxSettings(confidence=confidence, nms_thresh=nms_thresh,
                                                          box_nms=box_nms),
                             device=device, half=half, engine=engine, exported=exported)
    if kind in ("hog", "hog-small"):
        from alphapose_ros.core.detectors.hog import SMALL_PEOPLE, HogDetector, HogSettings

        limit_opencv_threads(threads)
        return HogDetector(SMALL_PEOPLE if kind == "hog-small" else HogSettings())
    if kind == "blazepose":
        from alphapose_ros.core.mediapipe.blazepose_detector import BlazePoseDetector, BlazePoseDetectorSettings

        return BlazePoseDetector(BlazePoseDetectorSettings(min_score=confidence, tile=tile),
                                 num_threads=threads or 2)
    raise ValueError(f"unknown detector {kind!r} (one of {', '.join(DETECTORS)})")


def end2end_detector(model: str, *, confidence: float = 0.1, device: str = "cpu", engine: str = "onnxruntime",
                     threads: int = 0) -> Detector:
    """An RTMPose-family detector file by manifest name or path (RTMDet pre-processing when its name says
    rtmdet, YOLOX's otherwise)."""
    from alphapose_ros.core.detectors.onnx_end2end import End2EndDetector, preprocessing_for
    from alphapose_ros.core.pose.model_zoo import ModelZooError, model_file
    from alphapose_ros.core.rtm.model_file import inspect_onnx

    try:
        path = model_file(model, "detector")
    except ModelZooError as e:
        raise ValueError(str(e)) from None
    return End2EndDetector(inspect_onnx(path), preprocessing_for(f"{model} {path.name}"), confidence,
                           "onnxruntime" if engine == "torch" else engine, device, threads)
