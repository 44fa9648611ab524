"""Person detectors released as end-to-end ONNX files with their NMS inside (RTMPose's YOLOX human-art
models and RTMDet-nano): dets (1,N,5) x1,y1,x2,y2,score in input pixels [, labels (1,N)].

Pre-processing as they were trained: BGR, resized with the aspect kept into the top-left of a grey-114
canvas; RTMDet also normalises by ImageNet's mean/std (in BGR order), YOLOX takes raw 0-255 values.
Boxes above `confidence` are kept (the file did the NMS), divided by the resize ratio."""
from __future__ import annotations

import logging

import numpy as np

from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.core.detectors.yolox import preprocess
from alphapose_ros.core.rtm.model_file import OnnxModelSpec

MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)[:, None, None]
STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)[:, None, None]
PREPROCESSING = ("yolox", "rtmdet")
log = logging.getLogger("alphapose_ros.detectors")


def preprocessing_for(name: str) -> str:
    """rtmdet when the model's name or file says so, else yolox."""
    return "rtmdet" if "rtmdet" in name.lower() else "yolox"


class End2EndDetector:
    """One engine call per image; the boxes of class 0 (person) when the file gives labels."""

    def __init__(self, spec: OnnxModelSpec, preprocessing: str = "yolox", confidence: float = 0.3,
                 engine: str = "onnxruntime", device: str = "cpu", threads: int = 0):
        from alphapose_ros.core.engines.runtimes import load_runtime

        if spec.family != "detector":
            raise ValueError(f"{spec.path}: a {spec.family} model, not an end-to-end detector")
        if preprocessing not in PREPROCESSING:
            raise ValueError(f"unknown detector pre-processing {preprocessing!r} (one of {', '.join(PREPROCESSING)})")
        self.name = spec.path.stem
        self.spec, self.preprocessing, self.confidence = spec, preprocessing, confidence
        self.net = load_runtime(engine, spec.path, device, threads=threads)
        log.info("detector %s (%s pre-processing, input %dx%d, h x w)", spec.path.name, preprocessing,
                 *spec.input_hw)

    def detect(self, images_bgr: list[np.ndarray]) -> list[Detections]:
        return [self._detect(im) for im in images_bgr]

    def _detect(self, image_bgr: np.ndarray) -> Detections:
        x, ratio = preprocess(image_bgr, self.spec.input_hw)
        if self.preprocessing == "rtmdet":
            x = (x - MEAN_BGR) / STD_BGR
        outs = self.net.run_numpy(x[None])
        dets = next(o for o in outs if o.ndim == 3)[0]
        labels = next((o for o in outs if o.ndim == 2), None)
        keep = dets[:, 4] > self.confidence
        if labels is not None:
            keep &= labels[0] == 0
        d = dets[keep]
        return Detections((d[:, :4] / ratio).astype(np.float32), d[:, 4].astype(np.float32),
                          np.zeros(len(d), np.int64))
