"""Top-down SimCC pose estimation (RTMPose, RTMW, DWPose) on an ONNX file as its authors release it:
all people of a frame cropped, run in one engine call per batch, and decoded together."""
from __future__ import annotations

import logging

import numpy as np
import torch

from alphapose_ros.core.codecs.simcc import decode_simcc
from alphapose_ros.core.pose.estimator import EstimatorOutput
from alphapose_ros.core.reid.embedder import embed_boxes
from alphapose_ros.core.rtm.crop import MEAN_RGB, STD_RGB, centre_scale, crop_boxes, crop_pixels, to_image
from alphapose_ros.core.rtm.model_file import OnnxModelSpec
from alphapose_ros.core.skeletons import get_format

log = logging.getLogger("alphapose_ros.rtm")


class SimCCPoseEstimator:
    """RGB image + N boxes in, N poses out (the pose-estimator interface of core.pose.backends).

    The models were trained on RGB crops normalised by ImageNet's mean/std (mmpose converts its BGR
    reads to RGB), so the RGB image is cropped as it is."""

    head = "simcc"

    def __init__(self, spec: OnnxModelSpec, engine: str = "onnxruntime", device: str = "cpu", half: bool = False,
                 batch_size: int = 16, embedder=None, padding: float = 1.25, threads: int = 0):
        from alphapose_ros.core.engines.runtimes import load_runtime

        if spec.family != "simcc":
            raise ValueError(f"{spec.path}: a {spec.family} model, not a SimCC top-down one")
        self.spec = spec
        self.engine = engine
        self.format = get_format(spec.keypoint_format)
        self.input_wh = (spec.input_hw[1], spec.input_hw[0])
        self.padding = padding
        self.batch_size = spec.batch or max(1, int(batch_size))  # a fixed-batch file takes its own size
        self.embedder = embedder
        # crops go in as cut (uint8 NHWC): the engine normalises them, vectorised, in the same call
        self.net = load_runtime(engine, spec.path, device, fp16=half, threads=threads, uint8_input=(MEAN_RGB, STD_RGB))

    def describe(self) -> str:
        return f"{self.spec.describe()}, {self.engine} engine"

    def __call__(self, image_rgb: np.ndarray, boxes_xyxy: np.ndarray) -> EstimatorOutput:
        """Poses for `boxes_xyxy` (N,4) in an RGB uint8 image (H,W,3)."""
        if isinstance(image_rgb, torch.Tensor):  # the GPU path hands device tensors
            image_rgb = image_rgb.cpu().numpy()
        boxes = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
        k = self.format.num_keypoints
        if len(boxes) == 0:
            return EstimatorOutput(np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32), np.zeros((0, 4)))
        centre, size = centre_scale(boxes, self.input_wh, self.padding)
        x = crop_pixels(image_rgb, centre, size, self.input_wh)
        outs = [self.net.run_numpy(x[i:i + self.batch_size], list(self.spec.output_names))
                for i in range(0, len(x), self.batch_size)]
        simcc_x = np.concatenate([o[0] for o in outs])
        simcc_y = np.concatenate([o[1] for o in outs])
        points, scores = decode_simcc(simcc_x, simcc_y, self.spec.split_ratio)
        emb = None
        if self.embedder is not None:
            emb = embed_boxes(self.embedder, image_rgb, boxes)
        return EstimatorOutput(to_image(points, centre, size, self.input_wh), scores, crop_boxes(centre, size), emb)
