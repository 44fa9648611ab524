"""The pose node runs its network on the engine its parameters name: the same poses from ONNX Runtime
and OpenVINO as from torch (the model trained here, exported by the node on first use)."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.ros
sys.path.insert(0, str(Path(__file__).parent))
LOCAL = Path(__file__).resolve().parents[2] / "models" / "local"


def _poses(engine: str, domain: int) -> list:
    from graph_fixture import feed_frames, pose_node_harness

    with pose_node_harness(domain, pose_config=str(LOCAL / "fastpose_small_halpe26.yaml"),
                           checkpoint=str(LOCAL / "fastpose_small_halpe26_sikr.pth"), allow_untrained=False,
                           engine=engine) as h:
        assert engine in h.pose.estimator.describe() or engine == "torch"
        feed_frames(h, 3)
    return [np.array([[p.x, p.y] for p in m.poses]) for m in h.got]


@pytest.mark.parametrize("engine", ["onnxruntime", "openvino"])
def test_pose_node_gives_the_torch_poses_on_another_engine(vision_msgs, tmp_path, monkeypatch, engine):
    pytest.importorskip(engine, reason="requirements/engines.txt (scripts/setup.sh installs it)")
    monkeypatch.setenv("ALPHAPOSE_ROS_CACHE", str(tmp_path))
    want = _poses("torch", 40 + os.getpid() % 20)
    got = _poses(engine, 40 + os.getpid() % 20)
    assert len(want) == len(got) == 3 and all(len(w) == 2 for w in want)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, atol=1e-3)
