"""Every official checkpoint layout in the reference matches the network built from its config."""
import json

import pytest
import torch
from conftest import layout_config

from alphapose_ros.core.pose.checkpoints import CheckpointError, load_state_dict_strict
from alphapose_ros.core.models.config import ConfigError, build_model, load_config, parse_config

pytestmark = pytest.mark.reference
H136 = "halpe_136__resnet__256x192_res50_lr1e-3_2x-regression"


def _layouts(reference):
    return sorted((reference / "checkpoints").glob("*__*.json"))


def test_all_supported_layouts_build_with_identical_names_and_shapes(reference):
    checked, unsupported = [], []
    for path in _layouts(reference):
        layout = json.loads(path.read_text())
        try:
            cfg = parse_config(layout_config(layout), path.name)
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
    # 30 layouts: all but HarDNet (2), FastPose_DUC_Dense and the 33-joint concat config build
    assert len(checked) == 26, checked
    assert all(("FastPose_DUC_Dense" in r or "HarDNet" in r or "no keypoint format" in r)
               for _, r in unsupported), unsupported


def test_users_alphapose_yaml_files_give_the_configs_of_their_layouts(alphapose_files, reference):
    """The YAML files AlphaPose users pass with --cfg read to the same network as the layout facts."""
    for path in _layouts(reference):
        layout = json.loads(path.read_text())
        try:
            want = parse_config(layout_config(layout))
        except ConfigError:
            with pytest.raises(ConfigError):
                load_config(alphapose_files / "user-files" / layout["config"])
            continue
        assert load_config(alphapose_files / "user-files" / layout["config"]) == want, path.name


def test_layout_loads_strictly_from_a_file_with_module_prefix(layout, tmp_path):
    _, cfg = layout("halpe_26__resnet__256x192_res50_lr1e-3_2x-regression")
    src = build_model(cfg)
    f = tmp_path / "ckpt.pth"
    torch.save({"module." + k: v for k, v in src.state_dict().items()}, f)
    from alphapose_ros.core.pose.checkpoints import load_checkpoint

    dst = load_checkpoint(build_model(cfg), f, cfg)
    for k, v in src.state_dict().items():
        assert torch.equal(dst.state_dict()[k], v)


def test_wrong_config_names_the_mismatch_and_the_fitting_network(layout):
    _, wholebody = layout(H136)
    _, coco = layout("coco__resnet__256x192_res50_lr1e-3_1x")
    state = build_model(wholebody).state_dict()
    with pytest.raises(CheckpointError) as e:
        load_state_dict_strict(build_model(coco), state, coco, "halpe136.pth")
    msg = str(e.value)
    assert "mis-shaped" in msg and "conv_out.weight: file (136, 256, 3, 3) vs model (17, 128, 3, 3)" in msg
    assert "FastPose, ResNet-50, CONV_DIM 256, 136 keypoints" in msg


def test_dcn_checkpoint_against_plain_config_lists_offset_keys(layout):
    _, dcn = layout("halpe_136__resnet__256x192_res50_lr1e-3_2x-dcn-regression")
    _, plain = layout(H136)
    state = build_model(dcn, check_ops=False).state_dict()
    with pytest.raises(CheckpointError, match=r"unexpected keys \(26\): preact.layer2.0.conv2_offset.weight"):
        load_state_dict_strict(build_model(plain), state, plain)


def test_hrnet_w32_runs_and_outputs_64x48_maps(layout):
    _, cfg = layout("coco__hrnet__256x192_w32_lr1e-3")
    with torch.no_grad():
        out = build_model(cfg)(torch.randn(1, 3, 256, 192))
    assert out.shape == (1, 17, 64, 48) and torch.isfinite(out).all()


def test_unsupported_model_type_is_named():
    raw = {"MODEL": {"TYPE": "HarDNetPose"}, "DATA_PRESET": {"NUM_JOINTS": 17}, "LOSS": {"TYPE": "MSELoss"}}
    with pytest.raises(ConfigError, match="HarDNetPose"):
        parse_config(raw, "hardnet.yaml")
