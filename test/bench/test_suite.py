"""The benchmark suite: one command gives the offline figures and the ROS graph's (composed and
separate processes) on the same clip, with CPU and peak memory per process, as JSON."""
import json

import pytest

pytestmark = pytest.mark.ros


def test_suite_measures_offline_and_both_graph_layouts_on_the_same_clip(ros_msgs, footage, tmp_path, capsys):
    from alphapose_ros.bench.suite import main

    out = tmp_path / "bench.json"
    assert main(["--frames", "3", "--people", "1", "--out", str(out)]) == 0
    r = json.loads(out.read_text())
    assert len(r["rounds"]) == 1
    off = r["rounds"][0]["offline"]
    assert off["sequential"]["frames_per_s"] > 0 and off["pipelined"]["frames_per_s"] > 0
    assert set(off["sequential"]["stage_ms"]) == {"detect", "pose", "pose_nms", "track"}
    # offline keeps the untrained network's poses, as the graph's pose NMS does: the same work on both sides
    assert off["sequential"]["people_per_frame"] > 0 and off["pipelined"]["people_per_frame"] > 0
    assert r["offline_one_thread_per_stage"]["pipelined"]["frames_per_s"] > 0
    assert off["process"]["peak_rss_mb"] > 100 and off["process"]["cpu_seconds"] > 0
    rnd = r["rounds"][0]
    assert set(rnd["graph_composed"]["processes"]) == {"pipeline"}
    assert set(rnd["graph_separate"]["processes"]) == {"detection", "pose_estimation", "pose_nms", "tracking"}
    for key in ("graph_composed", "graph_separate"):
        g = rnd[key]
        assert g["frames_per_s"] > 0 and 0 < g["latency_ms_p50"] <= g["latency_ms_p99"]
        assert g["vs_best_offline"] == pytest.approx(g["frames_per_s"] / rnd["best_offline_frames_per_s"])
        assert g["vs_offline_pipelined"] == pytest.approx(g["frames_per_s"] / off["pipelined"]["frames_per_s"])
        assert all(p["peak_rss_mb"] > 100 for p in g["processes"].values())
    # the pose network does the work: its process is the busiest
    sep = rnd["graph_separate"]["processes"]
    assert sep["pose_estimation"]["cores_busy"] == max(p["cores_busy"] for p in sep.values())
    printed = capsys.readouterr().out
    assert "| ROS graph, separate |" in printed and "graph_composed vs_offline_pipelined, every round" in printed


def test_graph_ratios_are_taken_against_the_same_rounds_offline_runs():
    from alphapose_ros.bench.suite import best_offline, graph_ratios

    off = {"sequential": {"frames_per_s": 3.0}, "pipelined": {"frames_per_s": 2.5}}
    one = {"sequential": {"frames_per_s": 1.5}, "pipelined": {"frames_per_s": 2.0}}
    g = {"frames_per_s": 2.25}
    graph_ratios(g, off, best_offline(off, one))
    assert g["vs_offline_pipelined"] == pytest.approx(0.9) and g["vs_best_offline"] == pytest.approx(0.75)
