"""OSNet-AIN re-ID: architecture size, weights-file loading, embeddings through the pipeline."""
import json

import numpy as np
import pytest
import torch
from conftest import dequantise

from alphapose_ros.core.pose.checkpoints import CheckpointError
from alphapose_ros.core.reid.embedder import ReidEmbedder
from alphapose_ros.core.reid.osnet_ain import OSNetAIN, load_osnet_ain


@pytest.fixture(scope="module")
def trained_like():
    """A randomly initialised network with non-trivial BN statistics, saved as torchreid saves a
    checkpoint: nested under state_dict, DataParallel prefix, identity classifier, epoch."""
    torch.manual_seed(0)
    m = OSNetAIN(num_classes=4101)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.BatchNorm2d, torch.nn.BatchNorm1d)):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    return m.eval()


def test_size_matches_the_paper():
    # OSNet x1.0: 2.2 M parameters without the identity classifier (Zhou et al. 2019, table 1)
    n = sum(p.numel() for p in OSNetAIN().parameters())
    assert 2.1e6 < n < 2.3e6


def test_embedding_is_512_d_and_independent_of_the_batch():
    torch.manual_seed(1)
    m = OSNetAIN().eval()
    x = torch.rand(3, 3, 256, 192)
    with torch.no_grad():
        both = m(x)
        one = m(x[1:2])
    assert both.shape == (3, 512)
    torch.testing.assert_close(both[1:2], one, atol=1e-5, rtol=1e-4)


def test_state_dict_is_the_upstream_layout_key_for_key(reference):
    layout = json.loads((reference / "checkpoints/osnet_ain_x1_0.json").read_text())
    m = OSNetAIN(num_classes=layout["num_classes"])
    assert [(k, list(v.shape)) for k, v in m.state_dict().items()] == [
        (k, v["shape"]) for k, v in layout["state_dict"].items()]
    assert sum(p.numel() for p in m.parameters()) == layout["num_parameters"]


@pytest.fixture(scope="module")
def upstream_run(reference):
    ref = torch.load(reference / "vectors/third_party/osnet_ain_x1_0_weights_int8.pt", weights_only=True)
    return dequantise(ref), np.load(reference / "vectors/third_party/osnet_ain_x1_0_io.npz")


@pytest.mark.parametrize("wrap", ["bare", "torchreid_engine"])
def test_release_file_reproduces_the_upstream_embeddings(upstream_run, tmp_path, wrap):
    """The upstream run's weights saved as the release may be (a bare state_dict, or torchreid's
    engine checkpoint with DataParallel prefixes) give the upstream features, L2-normalised."""
    state, io = upstream_run
    blob = state if wrap == "bare" else {"state_dict": {"module." + k: v for k, v in state.items()}, "epoch": 50}
    torch.save(blob, tmp_path / "osnet_ain.pth")
    emb = ReidEmbedder.from_file(tmp_path / "osnet_ain.pth")
    for x, want in (("in_batch", "out_features_l2"), ("in_batch_256x192", "out_features_l2_256x192")):
        np.testing.assert_allclose(emb(torch.from_numpy(io[x])), io[want], atol=1e-4)


def test_features_and_feature_maps_match_upstream(upstream_run):
    state, io = upstream_run
    m = OSNetAIN(num_classes=4101).eval()
    m.load_state_dict(state)
    x = torch.from_numpy(io["in_batch"])
    with torch.no_grad():
        np.testing.assert_allclose(m(x).numpy(), io["out_features"], rtol=1e-3, atol=2e-4)
        np.testing.assert_allclose(m.classifier(m(x)).numpy(), io["out_classifier_logits"], rtol=1e-3, atol=2e-3)


@pytest.mark.fault("checkpoint-mismatched")
def test_wrong_file_names_the_mismatch_and_what_it_looks_like(tmp_path, trained_like):
    state = trained_like.state_dict()
    del state["conv5.conv.weight"]
    state["conv3.0.IN.weight"] = torch.zeros(384)  # an IN where the released layout has none
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError) as e:
        load_osnet_ain(tmp_path / "bad.pth")
    msg = str(e.value)
    assert "conv5.conv.weight" in msg and "conv3.0.IN.weight" in msg and "OSNet re-ID" in msg


@pytest.mark.fault("checkpoint-code-pickle")
def test_code_carrying_pickle_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"state_dict": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(CheckpointError, match="refused"):
        load_osnet_ain(tmp_path / "evil.pth")


def test_embeddings_survive_pose_nms_into_the_tracker():
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.models.config import build_model, parse_config
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig
    from alphapose_ros.core.nms.parametric import PoseNMSParams
    from alphapose_ros.core.tracking.msim import MSIMTracker

    torch.manual_seed(0)
    cfg = parse_config({"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "CONV_DIM": 128},
                        "DATA_PRESET": {"NUM_JOINTS": 17}, "LOSS": {"TYPE": "MSELoss"},
                        "DATASET": {"TRAIN": {"TYPE": "Mscoco"}}})
    est = PoseEstimator(cfg, build_model(cfg), embedder=ReidEmbedder(OSNetAIN()))
    tracker = MSIMTracker()
    pipe = FramePipeline(est, None, PoseNMSConfig("parametric", PoseNMSParams.for_layout(17, True, score_thresh=0.0)),
                         tracker)
    img = np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    boxes = np.array([[10, 10, 80, 190], [200, 10, 280, 190]], np.float32)
    items = list(pipe.run([Frame("a", 0.0, img, boxes, np.array([0.9, 0.8]))], concurrent=False))
    poses = items[0].data["poses"]
    assert items[0].error is None and poses.embeddings is not None and poses.embeddings.shape[1] == 512
    assert all(tr.feature is not None and tr.feature.shape == (512,) for tr in tracker.tracked)
