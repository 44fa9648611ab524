"""Every supported pose network exports to ONNX with a dynamic batch and runs the same in ONNX Runtime and
OpenVINO as in PyTorch; the sidecar describes the file and refuses another."""
import json

import numpy as np
import pytest
import torch
from conftest import layout_config

from alphapose_ros.core.pose.crop import crop_batch
from alphapose_ros.core.engines.onnx_export import (config_from_dict, config_to_dict, export_onnx, read_sidecar,
                                                    state_sha256, write_sidecar)
from alphapose_ros.core.engines.runtimes import load_runtime
from alphapose_ros.core.models.config import build_model, parse_config

pytest.importorskip("onnxruntime", reason="requirements/engines.txt (scripts/setup.sh installs it)")
pytest.importorskip("openvino", reason="requirements/engines.txt (scripts/setup.sh installs it)")

# one layout per MODEL.TYPE and head the package builds (DCN needs torchvision: not here)
LAYOUTS = ["coco__resnet__256x192_res50_lr1e-3_1x",               # FastPose, heatmap
           "halpe_136__resnet__256x192_res50_lr1e-3_2x-regression",  # FastPose, SIKR
           "coco_wholebody__resnet__256x192_res50_lr1e-3_2x-combined",  # FastPose, combined
           "coco__resnet__256x192_res50_lr1e-3_1x-duc",             # FastPose_DUC
           "coco__resnet__256x192_res50_lr1e-3_1x-simple",          # SimplePose
           "coco__hrnet__256x192_w32_lr1e-3"]                       # HRNet-W32


def person_crops(input_hw, n=3):
    """Crops of drawn people (the synthetic figure generator) as the estimator cuts them."""
    from alphapose_ros.synthetic.figures import make_image

    img, people = make_image(np.random.default_rng(3), [], size=(320, 256), max_people=n)
    boxes = np.array([[p["bbox"][0], p["bbox"][1], p["bbox"][0] + p["bbox"][2], p["bbox"][1] + p["bbox"][3]]
                      for p in people], np.float32)
    return torch.from_numpy(crop_batch(img[..., ::-1].copy(), boxes, input_hw)[0])


@pytest.mark.parametrize("name", LAYOUTS)
def test_exported_network_runs_the_same_in_onnxruntime_and_openvino(reference, tmp_path, name):
    lay = json.loads((reference / "checkpoints" / f"{name}.json").read_text())
    cfg = parse_config(layout_config(lay), name)
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    path = export_onnx(model, cfg.input_hw, tmp_path / "m.onnx")
    crops = person_crops(cfg.input_hw)
    with torch.inference_mode():
        want = model(crops)
    for engine in ("onnxruntime", "openvino"):
        got = load_runtime(engine, path)(crops)
        assert got.shape == want.shape  # dynamic batch: exported at 2, run at len(crops)
        assert float((got - want).abs().max()) < 1e-3, engine


def test_sidecar_carries_the_config_and_refuses_another_file(tmp_path):
    cfg = parse_config({"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "WIDTH": 16, "CONV_DIM": 32},
                        "LOSS": {"TYPE": "L1JointRegression", "NORM_TYPE": "sigmoid"},
                        "DATA_PRESET": {"TYPE": "simple", "NUM_JOINTS": 26, "IMAGE_SIZE": [128, 96],
                                        "HEATMAP_SIZE": [32, 24]}}, "small")
    model = build_model(cfg)
    path = export_onnx(model, cfg.input_hw, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="no sidecar m.json beside it"):
        read_sidecar(path)
    write_sidecar(path, cfg, precision="fp32", checkpoint_sha256=state_sha256(model))
    meta = read_sidecar(path)
    assert config_from_dict(meta["config"]) == cfg and config_to_dict(cfg)["input_hw"] == [128, 96]
    assert meta["input"]["shape"] == ["batch", 3, 128, 96] and meta["output"]["keypoint_format"] == "halpe_26"
    assert meta["output"]["head"] == "integral" and meta["input"]["mean_rgb"] == [0.406, 0.457, 0.48]
    other = export_onnx(build_model(cfg), cfg.input_hw, tmp_path / "other.onnx")
    (tmp_path / "other.json").write_text((tmp_path / "m.json").read_text())
    with pytest.raises(ValueError, match="describes another file"):
        read_sidecar(other)
