"""bench.rtm_models: its timing helper, and the whole benchmark end to end (slow)."""
import time

import pytest

from alphapose_ros.bench import rtm_models


def test_per_call_ms_is_the_median_of_repeated_calls():
    ms = rtm_models.per_call_ms(lambda: time.sleep(0.01), 0.05)
    assert 9.0 < ms < 40.0


@pytest.mark.slow
def test_the_benchmark_prints_every_row_and_its_ratios(capsys):
    rtm_models.main(["--seconds", "0.05", "--frames", "5"])
    out = capsys.readouterr().out
    for row in ("rtmpose-m", "rtmw-m", "fastpose-50", "onnxruntime INT8", "openvino FP32"):
        assert row in out
    assert "INT8 is" in out and "frames/s" in out and "rtmlib per box" in out
