"""Every official checkpoint layout in the reference matches the network built from its config."""
import json

import pytest
import torch

from alphapose_ros.core.checkpoints import CheckpointError, load_state_dict_strict
from alphapose_ros.core.models.config import ConfigError, build_model, load_config, parse_config

pytestmark = pytest.mark.reference


def _layouts(reference):
    return sorted((reference / "checkpoints").glob("*__*.json"))


def _user_yaml(reference, layout):
    return reference / "user-files" / layout["config"]


def test_all_supported_layouts_build_with_identical_names_and_shapes(reference):
    checked, unsupported = [], []
    for path in _layouts(reference):
        layout = json.loads(path.read_text())
        try:
            cfg = load_config(_user_yaml(reference, layout))
        except ConfigError as e:
            unsupported.append((path.name, str(e)))
            continue
        model = build_model(cfg, check_ops=False)
        got = {k: list(v.shape) for k, v in model.state_dict().items()}
        want = {k: v["shape"] for k, v in layout["state_dict"].items()}
        assert got == want, path.name
        assert sum(p.numel() for p in model.parameters()) == layout["num_parameters"], path.name
        assert cfg.num_joints == layout["num_joints"]
        checked.append(path.name)
    # every FastPose/SimplePose layout of the model zoo is covered
    assert len(checked) >= 26, checked  # 30 layouts; 4 are HarDNet, FastPose_DUC_Dense, 33-joint
    assert all(("FastPose_DUC_Dense" in r or "HarDNet" in r or "no keypoint format" in r)
               for _, r in unsupported), unsupported


def test_layout_loads_strictly_from_a_file_with_module_prefix(reference, tmp_path):
    layout = json.loads((reference / "checkpoints/halpe_26__resnet__256x192_res50_lr1e-3_2x-regression.json").read_text())
    cfg = load_config(_user_yaml(reference, layout))
    src = build_model(cfg)
    f = tmp_path / "ckpt.pth"
    torch.save({"module." + k: v for k, v in src.state_dict().items()}, f)
    from alphapose_ros.core.checkpoints import load_checkpoint

    dst = load_checkpoint(build_model(cfg), f, cfg)
    for k, v in src.state_dict().items():
        assert torch.equal(dst.state_dict()[k], v)


def test_wrong_config_names_the_mismatch_and_the_fitting_network(reference):
    wholebody = load_config(reference / "user-files/configs/halpe_136/resnet/256x192_res50_lr1e-3_2x-regression.yaml")
    coco = load_config(reference / "user-files/configs/coco/resnet/256x192_res50_lr1e-3_1x.yaml")
    state = build_model(wholebody).state_dict()
    with pytest.raises(CheckpointError) as e:
        load_state_dict_strict(build_model(coco), state, coco, "halpe136.pth")
    msg = str(e.value)
    assert "mis-shaped" in msg and "conv_out.weight: file (136, 256, 3, 3) vs model (17, 128, 3, 3)" in msg
    assert "FastPose, ResNet-50, CONV_DIM 256, 136 keypoints" in msg


def test_dcn_checkpoint_against_plain_config_lists_offset_keys(reference):
    dcn = load_config(reference / "user-files/configs/halpe_136/resnet/256x192_res50_lr1e-3_2x-dcn-regression.yaml")
    plain = load_config(reference / "user-files/configs/halpe_136/resnet/256x192_res50_lr1e-3_2x-regression.yaml")
    state = build_model(dcn, check_ops=False).state_dict()
    with pytest.raises(CheckpointError, match=r"unexpected keys \(26\): preact.layer2.0.conv2_offset.weight"):
        load_state_dict_strict(build_model(plain), state, plain)


def test_hrnet_w32_runs_and_outputs_64x48_maps(reference):
    cfg = load_config(reference / "user-files/configs/coco/hrnet/256x192_w32_lr1e-3.yaml")
    with torch.no_grad():
        out = build_model(cfg)(torch.randn(1, 3, 256, 192))
    assert out.shape == (1, 17, 64, 48) and torch.isfinite(out).all()


def test_unsupported_model_type_is_named():
    raw = {"MODEL": {"TYPE": "HarDNetPose"}, "DATA_PRESET": {"NUM_JOINTS": 17}, "LOSS": {"TYPE": "MSELoss"}}
    with pytest.raises(ConfigError, match="HarDNetPose"):
        parse_config(raw, "hardnet.yaml")
