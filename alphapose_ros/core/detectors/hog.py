"""OpenCV's HOG + linear SVM people detector: the low-accuracy fallback that needs no download.

Its trained weights ship inside opencv-python, so a fresh CPU-only robot finds people
with nothing else installed. It misses small, occluded and non-upright people and its
scores are SVM margins, not probabilities (mapped here to (0,1) with a logistic).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from alphapose_ros.core.detectors.base import Detections
from alphapose_ros.core.detectors.nms import nms


@dataclass(frozen=True)
class HogSettings:
    win_stride: int = 8
    padding: int = 8
    scale: float = 1.05
    hit_threshold: float = 0.0  # SVM margin
    nms_thresh: float = 0.45
    # OpenCV's own grouping of overlapping windows: a window survives only in a cluster of more than this many
    # (0: every window, left to our NMS); OpenCV's default is 2
    group_threshold: int = 2
    min_score: float = 0.1       # after the logistic mapping
    upscale_below: int = 480     # upscale small images so people reach the 64x128 window
    downscale_above: int = 0     # shrink taller images to this height (bounded cost on large cameras); 0: never
    # the person inside a detection window, as fractions of its width and height: the 64x128 people window was
    # trained on people ~96 px tall with margin all round, so the window is no person box (on the dev labels
    # the person spans a median 0.49 x 0.70 of it, centred); (1, 1): the window itself
    person_box: tuple[float, float] = (0.5, 0.75)


# "hog-small": the frame resized to 864 px tall, so far people (~80 px tall in a 576-px frame) fill the 64x128
# window and a 1080p camera costs what a small one does. Pyramid steps of 1.1, not 1.05: half the levels, so half
# the cost (the first 9 dev frames: 85 vs 162 ms a frame, 46 vs 44 of 52 people boxed at IoU 0.5, the same tracked
# recall), which lets the detector catch up sooner. Every window kept (no OpenCV grouping, our NMS instead): a
# half-hidden or far person often scores in one window only, which grouping drops as noise; the pose network
# rejects what is no person. So the SVM threshold is a little above 0, not below it (the 12 dev frames, poses on
# every frame: 57 of 68 people vs 54 grouped at -0.5; tracked over 6 phases 329 vs 319 of 408, live 241 vs 242).
SMALL_PEOPLE = HogSettings(scale=1.1, hit_threshold=0.25, group_threshold=0, min_score=0.0, upscale_below=864,
                           downscale_above=864)


class HogDetector:
    name = "hog"

    def __init__(self, settings: HogSettings = HogSettings()):
        self.settings = settings
        if not hasattr(cv2, "HOGDescriptor"):  # OpenCV 5.0's main wheels dropped it
            raise RuntimeError(f"detector hog needs OpenCV's HOGDescriptor, which this OpenCV ({cv2.__version__}) "
                               "lacks: install opencv-python-headless<5 (set-up's), or choose another detector")
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def detect(self, images_bgr: list[np.ndarray]) -> list[Detections]:
        return [self._one(im) for im in images_bgr]

    def _one(self, image: np.ndarray) -> Detections:
        s = self.settings
        if image is None or image.size == 0:
            return Detections.empty()
        h = image.shape[0]
        f = s.upscale_below / h if h < s.upscale_below else 1.0
        if s.downscale_above and h > s.downscale_above:
            f = s.downscale_above / h
        img = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR) \
            if f != 1.0 else image
        rects, weights = self._hog.detectMultiScale(img, hitThreshold=s.hit_threshold,
                                                    winStride=(s.win_stride, s.win_stride),
                                                    padding=(s.padding, s.padding), scale=s.scale,
                                                    groupThreshold=s.group_threshold)
        if len(rects) == 0:
            return Detections.empty()
        r = np.asarray(rects, np.float32) / f
        centre, size = r[:, :2] + r[:, 2:] / 2, r[:, 2:] * np.asarray(s.person_box, np.float32)
        boxes = np.concatenate([centre - size / 2, centre + size / 2], 1)  # before NMS: neighbours' windows overlap
        scores = 1.0 / (1.0 + np.exp(-np.asarray(weights, np.float32).reshape(-1)))
        keep = nms(boxes, scores, s.nms_thresh)
        keep = keep[scores[keep] >= s.min_score]
        return Detections(boxes[keep], scores[keep], np.zeros(len(keep), np.int64))
