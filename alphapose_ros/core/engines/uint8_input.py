"""A network that takes its crops as they are cut: uint8 pixels, (N,H,W,C), normalised inside the engine.

Normalising a batch of crops in NumPy/OpenCV ((x - mean) / std and HWC -> CHW, float32) costs more than
cutting them; the engines do it vectorised and threaded in the same call as the network. The ONNX Runtime
form prepends Cast, Sub, Mul and Transpose to the graph (the same arithmetic, in float32, as the NumPy
path); the OpenVINO form uses its own pre-processing API. The file on disk is never changed."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def onnx_with_uint8_input(path: str | Path, mean: tuple[float, ...], std: tuple[float, ...]) -> bytes:
    """The model of `path` (one float NCHW image input) with that input replaced by a uint8 NHWC one of
    the same name, normalised as (x - mean) * (1 / std) per channel in the graph; serialised."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    initialised = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initialised]
    if len(inputs) != 1:
        raise ValueError(f"{path}: expected one image input, found {len(inputs)}")
    old = inputs[0]
    dims = old.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ValueError(f"{path}: input {old.name} is not a 4-D image batch")
    shape = [d.dim_param or d.dim_value or None for d in dims]
    name = old.name
    inner = f"{name}__normalised"
    for node in graph.node:  # every consumer of the old input now reads the normalised tensor
        node.input[:] = [inner if i == name else i for i in node.input]
    c = len(mean)
    consts = [numpy_helper.from_array(np.asarray(mean, np.float32).reshape(1, 1, 1, c), f"{name}__mean"),
              numpy_helper.from_array((1.0 / np.asarray(std, np.float32)).reshape(1, 1, 1, c), f"{name}__inv_std")]
    nodes = [helper.make_node("Cast", [name], [f"{name}__f32"], to=TensorProto.FLOAT),
             helper.make_node("Sub", [f"{name}__f32", f"{name}__mean"], [f"{name}__centred"]),
             helper.make_node("Mul", [f"{name}__centred", f"{name}__inv_std"], [f"{name}__nhwc"]),
             helper.make_node("Transpose", [f"{name}__nhwc"], [inner], perm=[0, 3, 1, 2])]
    graph.initializer.extend(consts)
    for n in reversed(nodes):
        graph.node.insert(0, n)
    graph.input.remove(old)
    nhwc = [shape[0], shape[2], shape[3], shape[1]]
    graph.input.insert(0, helper.make_tensor_value_info(name, TensorProto.UINT8, nhwc))
    return model.SerializeToString()


def openvino_with_uint8_input(model, mean: tuple[float, ...], std: tuple[float, ...]):
    """An OpenVINO model (read from an NCHW float file) taking uint8 NHWC, normalised by its pre-processing."""
    from openvino.preprocess import PrePostProcessor
    from openvino import Type

    ppp = PrePostProcessor(model)
    ppp.input().tensor().set_element_type(Type.u8).set_layout("NHWC")
    ppp.input().model().set_layout("NCHW")
    ppp.input().preprocess().convert_element_type(Type.f32).mean(list(map(float, mean))).scale(
        list(map(float, std)))
    return ppp.build()
