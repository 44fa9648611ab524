"""Top-down crops as RTMPose's models were trained on (mmpose's geometry, written from its documentation).

A box (x1,y1,x2,y2) becomes a centre and a size grown by `padding` (1.25); the size is widened or
heightened to the input's aspect ratio; an axis-aligned affine maps that rectangle onto the input
(bilinear, black outside the image); pixels are normalised by mean/std per channel. Keypoints found in
the input go back with the inverse of the same map."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import cv2
import numpy as np

# the ImageNet mean/std of 0-255 RGB pixels, which the released models were trained with
MEAN_RGB = (123.675, 116.28, 103.53)
STD_RGB = (58.395, 57.12, 57.375)


def centre_scale(boxes_xyxy: np.ndarray, input_wh: tuple[int, int],
                 padding: float = 1.25) -> tuple[np.ndarray, np.ndarray]:
    """Centres (N,2) and sizes (N,2) [w, h] of the boxes, padded and fitted to the input's aspect ratio."""
    b = np.asarray(boxes_xyxy, np.float64).reshape(-1, 4)
    centre = (b[:, :2] + b[:, 2:]) * 0.5
    w, h = (b[:, 2] - b[:, 0]) * padding, (b[:, 3] - b[:, 1]) * padding
    aspect = input_wh[0] / input_wh[1]
    wide = w > h * aspect
    size = np.stack([np.where(wide, w, h * aspect), np.where(wide, w / aspect, h)], 1)
    return centre, size


def crop_affines(centre: np.ndarray, size: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """(N,2,3) maps image -> input: a uniform scale (input width / size width) about the centre."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero-size box: its crop is black, nothing raised
        s = input_wh[0] / size[:, 0]
    m = np.zeros((len(centre), 2, 3))
    m[:, 0, 0] = m[:, 1, 1] = s
    m[:, 0, 2] = input_wh[0] * 0.5 - s * centre[:, 0]
    m[:, 1, 2] = input_wh[1] * 0.5 - s * centre[:, 1]
    return m


def crop_pixels(image: np.ndarray, centre: np.ndarray, size: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """The crops (N,H,W,C) uint8 as cut (bilinear, black outside the image), one warp per person, the warps
    spread over OpenCV's thread count (each warp is too small for OpenCV to split; it releases the GIL);
    an engine built with `uint8_input` normalises them itself."""
    w, h = input_wh
    out = np.empty((len(centre), h, w, image.shape[2]), np.uint8)
    affines = crop_affines(centre, size, input_wh)

    def warp(i: int) -> None:
        cv2.warpAffine(image, affines[i], (w, h), dst=out[i], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    workers = min(cv2.getNumThreads(), len(out) // 2)  # a thread hand-off costs about one warp
    if workers > 1:
        list(_warp_pool(workers).map(warp, range(len(out))))
    else:
        for i in range(len(out)):
            warp(i)
    return out


@lru_cache(maxsize=4)
def _warp_pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="crop-warp")


def crop_inputs(image: np.ndarray, centre: np.ndarray, size: np.ndarray, input_wh: tuple[int, int],
                mean: tuple[float, ...] | None = MEAN_RGB,
                std: tuple[float, ...] | None = STD_RGB) -> np.ndarray:
    """The network's input batch (N,3,H,W) float32 for crops of `image` (H,W,3 uint8, channels as the
    model expects them); normalised when mean/std are given."""
    w, h = input_wh
    crops = list(crop_pixels(image, centre, size, input_wh))
    if not crops:
        return np.zeros((0, 3, h, w), np.float32)
    # (x - mean) / std, HWC -> CHW, in one pass of OpenCV's vectorised blob maker
    params = cv2.dnn.Image2BlobParams(scalefactor=tuple(1.0 / s for s in std) if std else (1.0, 1.0, 1.0),
                                      size=(w, h), mean=tuple(mean) if mean else (0.0, 0.0, 0.0), swapRB=False,
                                      ddepth=cv2.CV_32F)
    return cv2.dnn.blobFromImagesWithParams(crops, params)


def to_image(points: np.ndarray, centre: np.ndarray, size: np.ndarray, input_wh: tuple[int, int]) -> np.ndarray:
    """Points (N,K,2) in input pixels -> image pixels (float32)."""
    scale = size / np.asarray(input_wh, np.float64)
    return (points * scale[:, None] + (centre - size * 0.5)[:, None]).astype(np.float32)


def crop_boxes(centre: np.ndarray, size: np.ndarray) -> np.ndarray:
    """(N,4) the image rectangles the crops cover."""
    return np.concatenate([centre - size * 0.5, centre + size * 0.5], 1).astype(np.float32)


def rtm_crops(image: np.ndarray, boxes_xyxy: np.ndarray, input_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (N,3,H,W), crop boxes (N,4)) of `boxes_xyxy` in `image`, as the estimator cuts them."""
    wh = (input_hw[1], input_hw[0])
    centre, size = centre_scale(boxes_xyxy, wh)
    return crop_inputs(image, centre, size, wh), crop_boxes(centre, size)
