"""bench.reid_tracking: every arm runs on the same rendered frames, and the embedding distances it
prints are what they say (one person a frame apart vs different people in a frame)."""
import json
import sys
from pathlib import Path

import numpy as np

from alphapose_ros.bench.reid_tracking import embedding_gaps, main
from alphapose_ros.synthetic.tracking_scenes import SceneSpec, make_scene

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "training"))
from helpers import reid_config  # noqa: E402


def test_embedding_gaps_compare_one_person_over_time_with_different_people():
    frames = make_scene(SceneSpec(people=3, frames=10, false_positives=0.0, miss_rate=0.0, crossing=False))
    basis = np.eye(8)
    frames = [f.__class__(**{**f.__dict__, "embeddings": basis[np.maximum(f.det_gt, 0)]}) for f in frames]
    same, other = embedding_gaps(frames)
    assert same == 0.0 and other == 1.0


def test_bench_runs_every_arm_on_the_same_scenes(tmp_path, capsys):
    from alphapose_ros.core.training.trainer import Trainer

    runs = {}
    for reid in ({"TYPE": "pga", "EMBED_DIM": 16}, {"TYPE": "osnet_ain", "EMBED_DIM": 16, "WIDTH": 0.25}):
        cfg = reid_config(tmp_path, reid, steps=2)
        Trainer(cfg, tmp_path / reid["TYPE"]).run(progress=False)
        runs[reid["TYPE"]] = tmp_path / reid["TYPE"]
    out = tmp_path / "rows.json"
    main(["--cfg", str(cfg), "--people", "5", "--seeds", "1", "--frames", "40", "--out", str(out),
          "--arm", "pga", str(runs["pga"] / "model_2.pth"), str(runs["pga"] / "reid_2.pth"),
          "--arm", "osnet", str(runs["osnet_ain"] / "model_2.pth"), str(runs["osnet_ain"] / "reid_2.pth"),
          "--arm", "none", str(runs["pga"] / "model_2.pth"), "none"])
    rows = json.loads(out.read_text())
    assert [r["arm"] for r in rows] == ["pga", "osnet", "none"]
    assert rows[2]["same_person_distance"] is None and rows[0]["same_person_distance"] is not None
    assert "ID switches" in capsys.readouterr().out
    # the figures are those of the scene tracked directly: the pga arm with its embeddings, and the none arm
    # (same pose checkpoint, so the same keypoints on the same frames) without; on this scene the two differ
    from alphapose_ros.bench.reid_tracking import run_scene
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.tracking.metrics import mean_summary, score_tracker
    from alphapose_ros.core.tracking.msim import MSIMParams, MSIMTracker

    est = make_pose_estimator("alphapose", cfg=cfg, checkpoint=runs["pga"] / "model_2.pth",
                              reid=runs["pga"] / "reid_2.pth", batch_size=32)
    frames = run_scene(SceneSpec(people=5, frames=40, seed=0), {"pga": est})["pga"]
    for row, use in ((rows[0], True), (rows[2], False)):
        direct = mean_summary([score_tracker(MSIMTracker(MSIMParams(frame_rate=30.0)), frames, use)[0]])
        assert {k: row[k] for k in direct} == direct
    assert rows[0]["id_switches"] != rows[2]["id_switches"]
    same, other = embedding_gaps(frames)
    assert rows[0]["same_person_distance"] == same and rows[0]["other_person_distance"] == other
