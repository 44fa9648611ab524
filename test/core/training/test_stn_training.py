"""Training with MODEL.STN: the transformer learns (its weights move away from the identity), resuming
stays bit for bit, and the checkpoint runs in the estimator with torch and with ONNX Runtime alike."""
import numpy as np
import pytest
import torch
import yaml

from .helpers import assert_resumes_bit_for_bit
from .test_trainer import _config


def _stn_config(tmp_path, steps=4):
    path = _config(tmp_path, steps=steps)
    raw = yaml.safe_load(path.read_text())
    raw["MODEL"]["STN"] = True
    path.write_text(yaml.safe_dump(raw))
    return path


def test_stn_training_resumes_bit_for_bit_and_moves_the_transformer(tmp_path):
    a = assert_resumes_bit_for_bit(_stn_config(tmp_path), tmp_path)
    last = [k for k in a if k.startswith("stn.loc.") and k.endswith("weight")][-1]
    assert a[last].abs().sum() > 0  # the localisation's last layer started at zero
    log = [yaml.safe_load(line) for line in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()]
    assert all("parallel_loss" in e for e in log)


def test_stn_checkpoint_runs_in_the_estimator_with_torch_and_onnxruntime(tmp_path):
    pytest.importorskip("onnxruntime")
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.training.trainer import Trainer

    cfg = _stn_config(tmp_path, steps=2)
    Trainer(cfg, tmp_path / "run").run(progress=False)
    img = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 60, 110], [70, 5, 150, 115]], np.float32)
    outs = [PoseEstimator.from_files(cfg, tmp_path / "run" / "model_2.pth", engine=e)(img, boxes)
            for e in ("torch", "onnxruntime")]
    assert np.isfinite(outs[0].keypoints).all()
    assert np.abs(outs[0].keypoints - outs[1].keypoints).max() < 0.05


def test_the_parallel_sppe_gradient_reaches_the_stn_alone_added_to_the_main_one():
    """backward_with_parallel leaves every pose-network weight with exactly the main loss's gradient and the
    SSTN's weights with main + weight x parallel (RMPE 3.2: the parallel branch's pose network is fixed);
    the expected gradients are taken separately by autograd on the same forward pass."""
    from alphapose_ros.core.models.config import build_model, parse_config
    from alphapose_ros.core.training.parallel_sppe import backward_with_parallel, stn_losses
    from alphapose_ros.core.training.sikr_loss import sikr_l1_loss

    cfg = parse_config({"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "WIDTH": 16, "CONV_DIM": 32, "STN": True},
                        "DATA_PRESET": {"NUM_JOINTS": 26, "IMAGE_SIZE": [128, 96], "HEATMAP_SIZE": [32, 24]},
                        "LOSS": {"TYPE": "L1JointRegression", "NORM_TYPE": "sigmoid"},
                        "DATASET": {"TRAIN": {"TYPE": "Halpe_26"}}})
    torch.manual_seed(0)
    model = build_model(cfg).train()
    with torch.no_grad():  # off the identity, so the parallel loss depends on every SSTN weight
        model.stn.loc[-1].weight.normal_(0, 1e-3)
    x = torch.randn(3, 3, 128, 96)
    target = torch.rand(3, 26, 2) * torch.tensor([23.0, 31.0])
    weight = (torch.rand(3, 26) > 0.2).float()
    loss = lambda maps, t, w: sikr_l1_loss(maps, t, w, norm="sigmoid")  # noqa: E731
    main, parallel = stn_losses(model, x, target, weight, loss)
    stn = {id(p) for p in model.stn.parameters()}
    params = [p for p in model.parameters() if p.requires_grad]
    g_main = torch.autograd.grad(main, params, retain_graph=True, allow_unused=True)
    g_par = torch.autograd.grad(parallel, params, retain_graph=True, allow_unused=True)
    assert any(g is not None and g.abs().sum() > 0 for p, g in zip(params, g_par) if id(p) not in stn), \
        "the parallel loss does depend on the pose network: backward_with_parallel must keep it out"
    backward_with_parallel(model, main, parallel, 0.5)
    for p, gm, gp in zip(params, g_main, g_par):
        want = torch.zeros_like(p) if gm is None else gm.clone()
        if id(p) in stn and gp is not None:
            want += 0.5 * gp
        got = torch.zeros_like(p) if p.grad is None else p.grad
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)
    assert model.stn.loc[-1].bias.grad.abs().sum() > 0
