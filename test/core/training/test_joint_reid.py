"""Joint pose + re-ID training (REID section): both re-ID types learn identities, resume bit for bit,
write a reid_<step>.pth that the pose estimator runs in the tracking path, and a PGA file is refused
beside pose weights it was not trained with."""
import numpy as np
import pytest
import torch
import yaml

from alphapose_ros.core.skeletons import get_format
from alphapose_ros.core.training.datasets import DatasetWriter, KeypointDataset
from alphapose_ros.synthetic.figures import make_image

from .helpers import assert_resumes_bit_for_bit, reid_config


def test_identity_labels_survive_the_dataset_round_trip(tmp_path):
    reid_config(tmp_path, {"TYPE": "pga"})
    d = KeypointDataset(tmp_path / "ids", "halpe_26")
    ids = [s.identity for s in d.samples]
    assert d.num_identities == 4 and min(ids) >= 0 and len(set(ids)) == 4


@pytest.mark.parametrize("reid", [{"TYPE": "pga", "EMBED_DIM": 16},
                                  {"TYPE": "osnet_ain", "EMBED_DIM": 16, "WIDTH": 0.25}])
def test_identity_loss_falls_while_training(tmp_path, reid):
    from alphapose_ros.core.training.trainer import Trainer

    tr = Trainer(reid_config(tmp_path, reid, steps=60, lr=3e-3), tmp_path / "run")
    log = tr.run(progress=False)
    last = np.mean([e["id_loss"] for e in log[-10:]])
    assert last < 0.85 * np.log(4), last  # 4 identities: chance is ln 4
    assert (tmp_path / "run" / "reid_60.pth").exists() and (tmp_path / "run" / "model_60.pth").exists()


def test_resuming_a_joint_run_is_bit_for_bit(tmp_path):
    cfg = reid_config(tmp_path, {"TYPE": "pga", "EMBED_DIM": 16})
    assert_resumes_bit_for_bit(cfg, tmp_path, ("model_4.pth", "reid_4.pth"))


@pytest.mark.fault("reid-weights-mismatched")
def test_reid_section_needs_identities(tmp_path):
    from alphapose_ros.core.training.trainer import Trainer

    cfg = reid_config(tmp_path, {"TYPE": "pga"})
    raw = yaml.safe_load(cfg.read_text())
    w = DatasetWriter(tmp_path / "plain", get_format("halpe_136"))
    w.add(*make_image(np.random.default_rng(0), [], (160, 120), max_people=2))
    w.close()
    raw["DATASET"]["TRAIN"]["SET_LIST"] = [{"ROOT": str(tmp_path / "plain")}]
    cfg.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="identities"):
        Trainer(cfg, tmp_path / "run")
    raw["REID"] = {"TYPE": "resnet"}
    cfg.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="REID.TYPE"):
        Trainer(cfg, tmp_path / "run")


def _trained(tmp_path, reid):
    from alphapose_ros.core.training.trainer import Trainer

    cfg = reid_config(tmp_path, reid, steps=2)
    Trainer(cfg, tmp_path / reid["TYPE"]).run(progress=False)
    return cfg, tmp_path / reid["TYPE"]


@pytest.mark.parametrize("flip,torchscript", [(False, False), (True, False), (False, True)])
def test_pga_embeddings_come_from_the_pose_pass_and_match_the_trained_branch(tmp_path, flip, torchscript):
    from alphapose_ros.core.pose.crop import crop_batch
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.training.trainer import Trainer

    cfg, run = _trained(tmp_path, {"TYPE": "pga", "EMBED_DIM": 16})
    est = make_pose_estimator("alphapose", cfg=cfg, checkpoint=run / "model_2.pth", reid=str(run / "reid_2.pth"),
                              flip=flip, torchscript=torchscript)
    img = make_image(np.random.default_rng(5), [], (160, 120), max_people=1)[0][..., ::-1].copy()
    boxes = np.array([[10, 5, 90, 115], [60, 10, 150, 110]], np.float32)
    out = est(img, boxes)
    assert out.embeddings.shape == (2, 16) and np.allclose(np.linalg.norm(out.embeddings, axis=1), 1, atol=1e-5)
    # the same numbers as the branch the trainer holds, run on the crops by hand
    tr = Trainer(cfg, run)
    tr.resume()
    model, branch = tr.model.eval(), tr.reid.branch.eval()
    crops = torch.from_numpy(crop_batch(img, boxes, (64, 48))[0])
    with torch.no_grad():
        feats = model.preact(crops)
        want, _ = branch(feats, model.head(feats))
    assert np.allclose(out.embeddings, want.numpy(), atol=1e-4)
    assert np.abs(out.embeddings[0] - out.embeddings[1]).max() > 1e-5  # each crop its own embedding


@pytest.mark.fault("reid-weights-mismatched")
def test_pga_weights_are_refused_beside_other_pose_weights_or_engines(tmp_path):
    from alphapose_ros.core.pose.checkpoints import CheckpointError
    from alphapose_ros.core.pose.backends import make_pose_estimator

    cfg, run = _trained(tmp_path, {"TYPE": "pga", "EMBED_DIM": 16})
    reid = str(run / "reid_2.pth")
    with pytest.raises(CheckpointError, match="other pose weights"):
        make_pose_estimator("alphapose", cfg=cfg, checkpoint=_other_weights(run), reid=reid)
    with pytest.raises(ValueError, match="engine torch"):
        make_pose_estimator("alphapose", cfg=cfg, checkpoint=run / "model_2.pth", reid=reid, engine="onnxruntime")
    with pytest.raises(ValueError, match="not beside MediaPipe"):
        make_pose_estimator("mediapipe", reid=reid)


def _other_weights(run):
    state = torch.load(run / "model_2.pth", weights_only=True)
    key = next(k for k, v in state.items() if v.is_floating_point())
    state[key].view(-1)[0] += 1e-6  # one value, slightly
    torch.save(state, run / "other.pth")
    return run / "other.pth"


def test_trained_osnet_file_loads_at_its_width_and_embeds_crops(tmp_path):
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.reid.embedder import ReidEmbedder

    cfg, run = _trained(tmp_path, {"TYPE": "osnet_ain", "EMBED_DIM": 16, "WIDTH": 0.25})
    est = make_pose_estimator("alphapose", cfg=cfg, checkpoint=run / "model_2.pth", reid=str(run / "reid_2.pth"))
    assert isinstance(est.embedder, ReidEmbedder) and est.embedder.model.conv1.conv.out_channels == 16
    out = est(np.zeros((120, 160, 3), np.uint8), np.array([[10, 10, 60, 110]], np.float32))
    assert out.embeddings.shape == (1, 16)
    assert est(np.zeros((120, 160, 3), np.uint8), np.zeros((0, 4), np.float32)).keypoints.shape[0] == 0
