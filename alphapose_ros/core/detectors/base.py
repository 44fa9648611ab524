"""The one interface every person detector has."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True)
class NetworkSpec:
    """What an engine needs to know of a YOLO detector's network: its name, input size, output count and the
    pre-processing its input had (written into an export's sidecar)."""

    name: str
    input_hw: tuple[int, int]
    outputs: int
    preprocess: str


def prepare_network(net: torch.nn.Module, device: torch.device, half: bool, engine: str, spec: NetworkSpec,
                    exported: str | Path | None = None, weights_given: bool = False
                    ) -> tuple[torch.nn.Module, bool, object | None]:
    """A detector network made ready to run: (net, whether its input is fp16, runtime). With torch the
    network in eval mode on `device` (fp16 on CUDA when asked) and no runtime; with onnxruntime | openvino
    a session on `exported` (an alphapose-export detector file, FP32 or INT8, checked against `spec` and,
    when weights were given, against them) or on its export made on first use in the engine cache, with a
    sidecar naming the detector and its pre-processing; float32 input (TensorRT's fp16 is its own business)."""
    from alphapose_ros.core.engines.onnx_export import cached_export, read_sidecar, state_sha256, write_detector_sidecar
    from alphapose_ros.core.engines.runtimes import load_runtime

    if exported is not None:
        if engine == "torch":
            raise ValueError(f"{exported}: an exported detector runs with engine onnxruntime or openvino, not torch")
        meta = read_sidecar(exported)
        made = (meta.get("kind"), meta.get("detector"), meta.get("input", {}).get("shape", [None] * 4)[2:])
        if made != ("detector", spec.name, list(spec.input_hw)):
            raise ValueError(f"{exported}: exported from {made[1] or made[0]} at input {made[2]}, not {spec.name} at "
                             f"{list(spec.input_hw)}")
        if weights_given and meta.get("weights_sha256") != state_sha256(net):
            raise ValueError(f"{exported}: exported from other weights than the ones given")
        return net.eval(), False, load_runtime(engine, exported, str(device), fp16=half)
    if engine == "torch":
        return (*to_device(net, device, half), None)
    path = cached_export(net.eval(), spec.input_hw, spec.name, outputs=spec.outputs, write_sidecar=lambda p, digest:
                         write_detector_sidecar(p, spec.name, spec.input_hw, spec.preprocess, digest))
    return net.eval(), False, load_runtime(engine, path, str(device), fp16=half)
