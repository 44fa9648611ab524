"""Person crops: box -> centre/scale, the crop affine, batched crops, back-projection.

AlphaPose's geometry (FACTS.md section 4): the box is padded to the model aspect ratio
(w/h = 192/256) by growing its short side, enlarged 1.25x, and warped onto the
256x192 input with a uniform scale; keypoints decoded on the 64x48 map are mapped
back with the padded ("cropped") box: x = x1 + x_hm * w / 48 (uniform scale).
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

# AlphaPose subtracts these from R, G, B (the ImageNet means listed in BGR order) and
# never divides by a std.
PIXEL_MEAN_RGB = (0.406, 0.457, 0.480)


def box_to_center_scale(boxes_xyxy: np.ndarray, aspect_ratio: float = 0.75,
                        scale_mult: float = 1.25) -> tuple[np.ndarray, np.ndarray]:
    """Centre (N,2) and padded size (N,2) [w, h] of each box, float32 as AlphaPose keeps them."""
    # float32 arithmetic throughout, as AlphaPose does it (the centre differs in the
    # last bit otherwise)
    b = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    center = np.stack([b[:, 0] + w * np.float32(0.5), b[:, 1] + h * np.float32(0.5)], axis=1)
    w, h = w.astype(np.float64), h.astype(np.float64)
    wide = w > aspect_ratio * h
    tall = w < aspect_ratio * h
    h = np.where(wide, w / aspect_ratio, h)
    w = np.where(tall, h * aspect_ratio, w)
    scale = (np.stack([w, h], axis=1).astype(np.float32) * np.float32(scale_mult)).astype(np.float32)
    return center, scale


def center_scale_to_box(center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The padded box (N,4) x1,y1,x2,y2 that a centre/scale covers (float64)."""
    c = np.asarray(center, np.float64).reshape(-1, 2)
    s = np.asarray(scale, np.float64).reshape(-1, 2)
    return np.concatenate([c - s * 0.5, c + s * 0.5], axis=1)


def crop_affine(center: np.ndarray, scale: np.ndarray, out_wh: tuple[int, int] = (192, 256),
                inverse: bool = False) -> np.ndarray:
    """2x3 affines (N,2,3) mapping image -> crop (or crop -> image when inverse).

    Built from three point pairs as AlphaPose does: the centre, the point half the padded
    width above it, and a point perpendicular to that pair; the scale is uniform (set by
    the width), so the padded box maps exactly onto the crop.
    """
    c = np.asarray(center, np.float64).reshape(-1, 2)
    s = np.asarray(scale, np.float64).reshape(-1, 2)
    out_w, out_h = float(out_wh[0]), float(out_wh[1])
    mats = np.empty((len(c), 2, 3), np.float64)
    dst = _with_third_point(np.array([[out_w * 0.5, out_h * 0.5], [out_w * 0.5, out_h * 0.5 - out_w * 0.5]]))
    for i in range(len(c)):  # 3-point solve per box: tiny, and bit-identical to cv2's solver
        src = _with_third_point(np.array([c[i], c[i] + [0.0, -s[i, 0] * 0.5]]))
        mats[i] = cv2.getAffineTransform(dst, src) if inverse else cv2.getAffineTransform(src, dst)
    return mats


def _with_third_point(pair: np.ndarray) -> np.ndarray:
    """The two points rounded to float32, and the third (the first turned 90 degrees about the second)
    computed from the rounded ones in float32, as AlphaPose does: computed in float64 from the unrounded
    points instead, about one box in eight gets an affine ~1e-3 off and a few crop pixels one grey level off."""
    a, b = pair.astype(np.float32)
    d = a - b
    return np.stack([a, b, b + np.array([-d[1], d[0]], np.float32)])


def normalise_crop(crop_hwc: np.ndarray) -> np.ndarray:
    """uint8 RGB crop -> float32 CHW network input, with AlphaPose's quirks.

    /255 only when the crop's maximum exceeds 1 (a crop of 0/1 pixels is not divided),
    then the per-channel mean is subtracted; no std division.
    """
    x = np.ascontiguousarray(crop_hwc.transpose(2, 0, 1)).astype(np.float32)
    if x.max() > 1:
        x /= 255.0
    x -= np.asarray(PIXEL_MEAN_RGB, np.float32)[:, None, None]
    return x


def crop_batch(image_rgb: np.ndarray, boxes_xyxy: np.ndarray, input_hw: tuple[int, int] = (256, 192),
               scale_mult: float = 1.25) -> tuple[np.ndarray, np.ndarray]:
    """CPU crops: network inputs (N,3,H,W) float32 and the padded boxes (N,4) used to decode.

    Uses cv2.warpAffine (bilinear, black border) per box, exactly as AlphaPose does.
    """
    h, w = input_hw
    center, scale = box_to_center_scale(boxes_xyxy, w / h, scale_mult)
    mats = crop_affine(center, scale, (w, h))
    out = np.empty((len(mats), 3, h, w), np.float32)
    for i, m in enumerate(mats):
        crop = cv2.warpAffine(image_rgb, m, (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        out[i] = normalise_crop(crop)
    return out, center_scale_to_box(center, scale)


def crop_batch_torch(image_rgb: torch.Tensor, boxes_xyxy: np.ndarray, input_hw: tuple[int, int] = (256, 192),
                     scale_mult: float = 1.25) -> tuple[torch.Tensor, np.ndarray]:
    """Batched crops on the image's device (GPU path): one grid_sample for all boxes.

    image_rgb: (H,W,3) uint8 tensor. Bilinear sampling of the same affine as crop_batch,
    rounded to uint8 like warpAffine, so results agree with the CPU path to within one
    grey level (cv2 quantises its interpolation weights to 1/32).
    """
    h, w = input_hw
    center, scale = box_to_center_scale(boxes_xyxy, w / h, scale_mult)
    boxes = center_scale_to_box(center, scale)
    n = len(boxes)
    dev = image_rgb.device
    if n == 0:
        return torch.zeros((0, 3, h, w), device=dev), boxes
    ih, iw = image_rgb.shape[:2]
    inv = torch.as_tensor(crop_affine(center, scale, (w, h), inverse=True), dtype=torch.float32, device=dev)
    ys, xs = torch.meshgrid(torch.arange(h, device=dev, dtype=torch.float32),
                            torch.arange(w, device=dev, dtype=torch.float32), indexing="ij")
    pts = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(1, -1, 3)  # (1,HW,3)
    src = pts @ inv.transpose(1, 2)  # (N,HW,2) image coords of each crop pixel
    grid = torch.empty_like(src)
    grid[..., 0] = (src[..., 0] + 0.5) * (2.0 / iw) - 1.0  # align_corners=False convention
    grid[..., 1] = (src[..., 1] + 0.5) * (2.0 / ih) - 1.0
    img = image_rgb.permute(2, 0, 1).unsqueeze(0).float().expand(n, -1, -1, -1)
    crops = F.grid_sample(img, grid.reshape(n, h, w, 2), mode="bilinear", padding_mode="zeros",
                          align_corners=False)
    crops = crops.round_()
    maxv = crops.amax(dim=(1, 2, 3), keepdim=True)
    crops = torch.where(maxv > 1, crops / 255.0, crops)
    crops -= torch.tensor(PIXEL_MEAN_RGB, device=dev).view(1, 3, 1, 1)
    return crops, boxes


def heatmap_to_image(coords_hm: np.ndarray, cropped_boxes: np.ndarray,
                     heatmap_wh: tuple[int, int] = (48, 64)) -> np.ndarray:
    """Map heatmap coordinates (N,K,2) back to image pixels with the padded boxes (N,4).

    The inverse crop affine: uniform scale set by the box width, map centre -> box centre.
    For the 3:4 padded boxes this is x1 + x * w/48, y1 + y * h/64.
    """
    b = np.asarray(cropped_boxes, np.float64).reshape(-1, 1, 4)
    s = (b[..., 2] - b[..., 0]) / heatmap_wh[0]
    cx = (b[..., 0] + b[..., 2]) * 0.5
    cy = (b[..., 1] + b[..., 3]) * 0.5
    out = np.empty(coords_hm.shape, np.float64)
    out[..., 0] = cx + (coords_hm[..., 0] - heatmap_wh[0] * 0.5) * s
    out[..., 1] = cy + (coords_hm[..., 1] - heatmap_wh[1] * 0.5) * s
    return out
