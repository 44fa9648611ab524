"""ONNX Runtime and OpenVINO sessions that stand in for a network's torch module: a float32 NCHW batch
in, the network's output tensor (or list of tensors, for a detector's levels) out, so cropping, flip
test, decoding and detector post-processing are the same whichever engine runs the network. On CUDA,
ONNX Runtime takes TensorRT (fp16 when asked) and CUDA execution providers where onnxruntime-gpu has them."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

ENGINES = ("torch", "onnxruntime", "openvino")
INSTALL_HINT = "pip install -r requirements/engines.txt (scripts/setup.sh installs it)"


def providers_for(device: str, available: list[str], fp16: bool = False) -> list:
    """ONNX Runtime execution providers for `device`, best first: on CUDA TensorRT (with fp16 and an engine
    cache when asked) then CUDA, always the CPU last. ValueError when CUDA is asked and neither is there."""
    dev = torch.device(device)
    if dev.type == "cpu":
        return ["CPUExecutionProvider"]
    if dev.type != "cuda":
        raise ValueError(f"onnxruntime engine: device {device} is not supported (cpu or cuda)")
    index = dev.index or 0
    chosen: list = []
    if "TensorrtExecutionProvider" in available:
        chosen.append(("TensorrtExecutionProvider", {"device_id": index, "trt_fp16_enable": bool(fp16),
                                                     "trt_engine_cache_enable": True}))
    if "CUDAExecutionProvider" in available:
        chosen.append(("CUDAExecutionProvider", {"device_id": index}))
    if not chosen:
        raise ValueError("onnxruntime engine on CUDA needs onnxruntime-gpu (TensorRT or CUDA execution provider); "
                         f"this onnxruntime has {', '.join(available)}")
    return chosen + ["CPUExecutionProvider"]


class OnnxRuntimeNet:
    """An exported network run by ONNX Runtime, called like the torch module it replaces."""

    def __init__(self, path: str | Path, device: str = "cpu", fp16: bool = False, threads: int = 0,
                 uint8_input: tuple | None = None):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise ImportError(f"the onnxruntime engine needs onnxruntime: {INSTALL_HINT}") from e
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.providers = providers_for(device, ort.get_available_providers(), fp16)
        model = str(path)
        if uint8_input is not None:
            from alphapose_ros.core.engines.uint8_input import onnx_with_uint8_input

            model = onnx_with_uint8_input(path, *uint8_input)
        self.dtype = np.uint8 if uint8_input is not None else np.float32
        self.session = ort.InferenceSession(model, opts, providers=self.providers)
        self.input = self.session.get_inputs()[0].name

    def run_numpy(self, x: np.ndarray, outputs: list[str] | None = None) -> list[np.ndarray]:
        """The named outputs (all, in the file's order, when None) for a float32 NCHW batch (with
        `uint8_input`: the uint8 NHWC crops)."""
        return self.session.run(outputs, {self.input: np.ascontiguousarray(x, self.dtype)})

    def __call__(self, x: torch.Tensor):
        outs = [torch.from_numpy(o).to(x.device) for o in self.run_numpy(_as_numpy(x))]
        return outs[0] if len(outs) == 1 else outs


class OpenVinoNet:
    """An exported network compiled by OpenVINO for the CPU (fp32 layers kept fp32; INT8 files run INT8)."""

    def __init__(self, path: str | Path, device: str = "cpu", threads: int = 0, uint8_input: tuple | None = None):
        if torch.device(device).type != "cpu":
            raise ValueError(f"openvino engine: device {device} is not supported here (cpu)")
        try:
            import openvino as ov
        except ImportError as e:
            raise ImportError(f"the openvino engine needs openvino: {INSTALL_HINT}") from e
        core = ov.Core()
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        model = core.read_model(str(path))
        if uint8_input is not None:
            from alphapose_ros.core.engines.uint8_input import openvino_with_uint8_input

            model = openvino_with_uint8_input(model, *uint8_input)
        self.dtype = np.uint8 if uint8_input is not None else np.float32
        self.compiled = core.compile_model(model, "CPU", config)
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: one call at a time

    def run_numpy(self, x: np.ndarray, outputs: list[str] | None = None) -> list[np.ndarray]:
        """The named outputs (all, in the file's order, when None) for a float32 NCHW batch (with
        `uint8_input`: the uint8 NHWC crops)."""
        ports = self.compiled.outputs if outputs is None else [self.compiled.output(n) for n in outputs]
        with self._lock:
            res = self._request.infer([np.ascontiguousarray(x, self.dtype)])
            return [np.array(res[o], copy=True) for o in ports]

    def __call__(self, x: torch.Tensor):
        outs = [torch.from_numpy(o).to(x.device) for o in self.run_numpy(_as_numpy(x))]
        return outs[0] if len(outs) == 1 else outs


def load_runtime(engine: str, path: str | Path, device: str = "cpu", fp16: bool = False, threads: int = 0,
                 uint8_input: tuple | None = None):
    """The session for `engine` (onnxruntime | openvino) on the exported file `path`; with `uint8_input`
    (mean, std) it takes uint8 NHWC crops and normalises them itself (core.engines.uint8_input)."""
    if engine == "onnxruntime":
        return OnnxRuntimeNet(path, device, fp16, threads, uint8_input)
    if engine == "openvino":
        return OpenVinoNet(path, device, threads, uint8_input)
    raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")


def _as_numpy(x: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(x.detach().float().cpu().numpy())
