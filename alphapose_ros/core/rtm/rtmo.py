"""RTMO (Lu et al., 2024), one-stage: every person's box and keypoints from one pass over the whole frame,
as its authors release it (dets (1,N,5), keypoints (1,N,K,3) in input pixels, before NMS).

Pre-processing as it was trained: BGR 0-255, resized with the aspect kept into the top-left of a grey-114
640x640 canvas. People above `confidence` are kept by box NMS (IoU above `nms_thresh` suppressed, areas
with the +1-pixel convention of the reference decoder), then divided by the resize ratio. The result goes
through the same pose NMS, tracking and outputs as a top-down model's."""
from __future__ import annotations

import cv2
import numpy as np
import torch

from alphapose_ros.core.detectors.nms import nms
from alphapose_ros.core.detectors.yolox import preprocess
from alphapose_ros.core.pose.estimator import EstimatorOutput
from alphapose_ros.core.reid.embedder import embed_boxes
from alphapose_ros.core.rtm.model_file import OnnxModelSpec
from alphapose_ros.core.skeletons import get_format


class RTMOModel:
    """`people(image_rgb)` -> boxes (N,4), box scores (N,), EstimatorOutput; no person boxes needed."""

    head = "rtmo"
    one_stage = True

    def __init__(self, spec: OnnxModelSpec, engine: str = "onnxruntime", device: str = "cpu",
                 confidence: float = 0.3, nms_thresh: float = 0.45, embedder=None, threads: int = 0):
        from alphapose_ros.core.engines.runtimes import load_runtime

        if spec.family != "rtmo":
            raise ValueError(f"{spec.path}: a {spec.family} model, not RTMO")
        self.spec, self.engine = spec, engine
        self.format = get_format(spec.keypoint_format)
        self.confidence, self.nms_thresh = confidence, nms_thresh
        self.embedder = embedder
        self.net = load_runtime(engine, spec.path, device, threads=threads)

    def describe(self) -> str:
        return f"{self.spec.describe()}, {self.engine} engine"

    def people(self, image_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, EstimatorOutput]:
        if isinstance(image_rgb, torch.Tensor):
            image_rgb = image_rgb.cpu().numpy()
        x, ratio = preprocess(cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), self.spec.input_hw)
        dets, kps = self.net.run_numpy(x[None], list(self.spec.output_names))
        dets, kps = dets[0], kps[0]
        above = np.flatnonzero(dets[:, 4] > self.confidence)
        keep = above[nms(dets[above, :4], dets[above, 4], self.nms_thresh, plus_one=True, suppress_equal=False)]
        boxes = (dets[keep, :4] / ratio).astype(np.float32)
        emb = None
        if self.embedder is not None and len(keep):
            emb = embed_boxes(self.embedder, image_rgb, boxes)
        out = EstimatorOutput((kps[keep, :, :2] / ratio).astype(np.float32), kps[keep, :, 2].astype(np.float32),
                              boxes, emb)
        return boxes, dets[keep, 4].astype(np.float32), out
