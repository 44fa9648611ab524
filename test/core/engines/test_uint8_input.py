"""Crops handed to an engine as cut (uint8 NHWC) give the network's outputs on the normalised float crops,
on ONNX Runtime and OpenVINO, and the model file is left as it was."""
import hashlib

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from alphapose_ros.core.engines.runtimes import load_runtime
from alphapose_ros.core.engines.uint8_input import onnx_with_uint8_input
from alphapose_ros.core.rtm.crop import MEAN_RGB, STD_RGB, centre_scale, crop_inputs, crop_pixels
from alphapose_ros.synthetic.released_layouts import simcc_file


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return simcc_file(tmp_path_factory.mktemp("uint8") / "net.onnx")


@pytest.fixture(scope="module")
def crops():
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), np.uint8), (0, 0), 2.0)
    boxes = np.array([[50, 40, 150, 300], [300, 100, 420, 460], [-30, 200, 60, 470]], np.float32)
    return image, centre_scale(boxes, (192, 256))


@pytest.mark.parametrize("engine", ["onnxruntime", "openvino"])
def test_uint8_crops_give_the_outputs_of_the_normalised_float_crops(model, crops, engine):
    image, (centre, size) = crops
    before = hashlib.sha256(model.read_bytes()).hexdigest()
    float_net = load_runtime(engine, model)
    uint8_net = load_runtime(engine, model, uint8_input=(MEAN_RGB, STD_RGB))
    want = float_net.run_numpy(crop_inputs(image, centre, size, (192, 256)))
    pixels = crop_pixels(image, centre, size, (192, 256))
    assert pixels.dtype == np.uint8 and pixels.shape == (3, 256, 192, 3)
    got = uint8_net.run_numpy(pixels)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)
    assert hashlib.sha256(model.read_bytes()).hexdigest() == before


def test_the_crops_are_the_warps_the_float_path_normalises(crops):
    image, (centre, size) = crops
    pixels = crop_pixels(image, centre, size, (192, 256)).astype(np.float32)
    want = crop_inputs(image, centre, size, (192, 256))
    norm = (pixels - np.float32(MEAN_RGB)) / np.float32(STD_RGB)
    np.testing.assert_allclose(norm.transpose(0, 3, 1, 2), want, atol=1e-5)


def test_a_model_without_exactly_one_image_input_is_refused(tmp_path):
    x = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 3, 4, 4])
    y = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 3, 4, 4])
    z = helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 3, 4, 4])
    two = helper.make_model(helper.make_graph([helper.make_node("Add", ["a", "b"], ["c"])], "g", [x, y], [z]))
    onnx.save(two, tmp_path / "two.onnx")
    with pytest.raises(ValueError, match="one image input"):
        onnx_with_uint8_input(tmp_path / "two.onnx", MEAN_RGB, STD_RGB)
    flat = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 48])
    out = helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 48])
    one = helper.make_model(helper.make_graph([helper.make_node("Relu", ["a"], ["c"])], "g", [flat], [out]))
    onnx.save(one, tmp_path / "flat.onnx")
    with pytest.raises(ValueError, match="4-D"):
        onnx_with_uint8_input(tmp_path / "flat.onnx", MEAN_RGB, STD_RGB)
