"""One .tflite model on the CPU via LiteRT (`ai-edge-litert`), batched when the model allows it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from alphapose_ros.core.mediapipe.roi import Rois, crop_rois


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError as e:
            raise ImportError("the MediaPipe backend needs LiteRT: pip install ai-edge-litert==2.3.0") from e
    return Interpreter


class TfliteModel:
    """`run(x)` with x (N,H,W,C) float32 returns the model's outputs, each with N as first axis.

    The interpreter is resized to N when N changes (LiteRT re-plans its memory then), so a
    steady stream of equal batch sizes pays that once. Not thread-safe: one caller at a time.
    """

    def __init__(self, path: str | Path, num_threads: int = 2):
        self.path = Path(path)
        self._it = _interpreter_class()(model_path=str(self.path), num_threads=max(1, int(num_threads)))
        self._it.allocate_tensors()
        inp = self._it.get_input_details()[0]
        self._in = inp["index"]
        self.input_hw = (int(inp["shape"][1]), int(inp["shape"][2]))
        self._outs = [d["index"] for d in self._it.get_output_details()]
        self._channels = int(inp["shape"][3])
        self._batch = int(inp["shape"][0])
        self.batchable = True  # until a resize shows otherwise

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        x = np.ascontiguousarray(x, np.float32)
        if x.ndim != 4 or x.shape[1:3] != self.input_hw:
            raise ValueError(f"{self.path.name} takes (N,{self.input_hw[0]},{self.input_hw[1]},C) inputs, got {x.shape}")
        if len(x) > 1 and not self.batchable:
            outs = [self.run(x[i:i + 1]) for i in range(len(x))]
            return [np.concatenate(o) for o in zip(*outs)]
        if len(x) != self._batch:
            self._resize(len(x))
            if not self.batchable:
                return self.run(x)
        self._it.set_tensor(self._in, x)
        self._it.invoke()
        return [self._it.get_tensor(i) for i in self._outs]

    def _resize(self, n: int) -> None:
        self._it.resize_tensor_input(self._in, [n, *self.input_hw, self._channels])
        self._it.allocate_tensors()
        self._batch = n
        # Some graphs reshape with a hard-coded batch of 1 (MediaPipe's pose detector): their
        # outputs then do not have n rows, and the model must be run one image at a time.
        if n > 1 and any(int(d["shape"][0]) != n for d in self._it.get_output_details()):
            self.batchable = False
            self._resize(1)


def run_on_rois(model: TfliteModel, image_rgb: np.ndarray, rois: Rois, batch_size: int) -> list[np.ndarray]:
    """The model's outputs for every ROI's crop, cut and run `batch_size` crops at a time."""
    size = model.input_hw[0]
    outs = [model.run(crop_rois(image_rgb, rois.select(slice(i, i + batch_size)), size))
            for i in range(0, len(rois), batch_size)]
    return [np.concatenate(o) for o in zip(*outs)]
