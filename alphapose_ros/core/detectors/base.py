"""The one interface every person detector has."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch


@dataclass
class Detections:
    """Boxes (N,4) x1,y1,x2,y2 in image pixels, scores (N,), class ids (N,) (0 = person)."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.boxes)


class Detector(Protocol):
    """Images in (BGR uint8, as OpenCV reads them), one Detections per image out."""

    name: str

    def detect(self, images_bgr: list[np.ndarray]) -> list[Detections]:
        ...


def to_device(net: torch.nn.Module, device: torch.device, half: bool) -> tuple[torch.nn.Module, bool]:
    """The network in eval mode on `device`, in fp16 when asked and on CUDA; and whether it is fp16."""
    half = half and device.type == "cuda"
    net = net.to(device).eval()
    return (net.half() if half else net), half


def input_dtype(half: bool) -> torch.dtype:
    return torch.float16 if half else torch.float32


def engine_forward(net: torch.nn.Module, input_hw: tuple[int, int], name: str, outputs: int, preprocess: str,
                   engine: str, device: str = "cpu", half: bool = False):
    """The detector network's forward on `engine` (onnxruntime | openvino): a session on its export, made on
    first use in the engine cache with a sidecar naming the detector and its pre-processing."""
    from alphapose_ros.core.engines.onnx_export import cached_export, sidecar_path, write_detector_sidecar
    from alphapose_ros.core.engines.runtimes import load_runtime

    path, digest = cached_export(net, input_hw, name, outputs=outputs)
    if not sidecar_path(path).is_file():
        write_detector_sidecar(path, name, input_hw, preprocess, digest)
    return load_runtime(engine, path, device, fp16=half)
