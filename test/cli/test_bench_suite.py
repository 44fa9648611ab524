"""The benchmark suite: one command gives the offline figures and the ROS graph's (composed and
separate processes) on the same clip, with CPU and peak memory per process, as JSON."""
import json

import pytest

pytestmark = pytest.mark.ros


def test_suite_measures_offline_and_both_graph_layouts_on_the_same_clip(ros_msgs, footage, tmp_path, capsys):
    from alphapose_ros.cli.bench_suite import main

    out = tmp_path / "bench.json"
    assert main(["--frames", "3", "--people", "1", "--out", str(out)]) == 0
    r = json.loads(out.read_text())
    off = r["offline"]
    assert off["sequential"]["frames_per_s"] > 0 and off["pipelined"]["frames_per_s"] > 0
    assert set(off["sequential"]["stage_ms"]) == {"detect", "pose", "pose_nms", "track"}
    assert r["offline_one_thread_per_stage"]["pipelined"]["frames_per_s"] > 0
    assert off["process"]["peak_rss_mb"] > 100 and off["process"]["cpu_seconds"] > 0
    assert set(r["graph_composed"]["processes"]) == {"pipeline"}
    assert set(r["graph_separate"]["processes"]) == {"detection", "pose_estimation", "pose_nms", "tracking"}
    for key in ("graph_composed", "graph_separate"):
        g = r[key]
        assert g["frames_per_s"] > 0 and 0 < g["latency_ms_p50"] <= g["latency_ms_p99"]
        assert g["vs_best_offline"] == pytest.approx(g["frames_per_s"] / r["best_offline_frames_per_s"])
        assert all(p["peak_rss_mb"] > 100 for p in g["processes"].values())
    # the pose network does the work: its process is the busiest
    sep = r["graph_separate"]["processes"]
    assert sep["pose_estimation"]["cores_busy"] == max(p["cores_busy"] for p in sep.values())
    assert "| ROS graph, separate |" in capsys.readouterr().out
