"""bench.first_use_int8: the stream switches from FP32 to the INT8 copy its first people calibrated, and the
figures it prints are that run's (pose time per frame for both, the keypoint change)."""
import pytest

from alphapose_ros.bench.first_use_int8 import main

pytest.importorskip("onnxruntime", reason="requirements/engines.txt (scripts/setup.sh installs it)")


def test_the_stream_switches_to_int8_and_the_figures_are_printed(footage, capsys):
    r = main(["--frames", "6", "--crops", "4"])
    out = capsys.readouterr().out
    assert r["people"] >= 4 and r["seconds_to_int8"] > 0
    assert set(r["pose_ms_per_frame"]) == {"fp32", "int8"} and all(v > 0 for v in r["pose_ms_per_frame"].values())
    assert r["keypoint_change_crop_px"]["kp_px_median"] < 1.0
    assert f"INT8 (ONNX Runtime) {r['pose_ms_per_frame']['int8']:.0f} ms" in out
