"""The GPU check's code paths on CPU tensors (CI has no GPU): the same network three ways agrees with
itself, the paced pipeline answers every frame, and without CUDA the check says so and exits 0."""
import pytest
import torch

from alphapose_ros.bench import gpu_check


def test_the_checks_run_on_cpu_tensors_and_agree_with_the_cpu_path(footage, tmp_path):
    boxes = tmp_path / "boxes.json"  # HOG's boxes made here, for a GPU machine whose OpenCV has no HOG
    assert gpu_check.main(["--video", str(footage / "vtest.avi"), "--frames", "3", "--width", "320",
                           "--save-boxes", str(boxes)]) == 0
    res = gpu_check.run("cpu", footage / "vtest.avi", n_frames=3, rate=10.0, width=320, seconds=0.05, batch=4,
                        boxes_file=boxes)
    assert res["frames"].endswith("HOG boxes (from boxes.json)") and " 0 HOG boxes" not in res["frames"]
    assert res["fp32_vs_cpu"] == {"keypoints_px_median": 0.0, "keypoints_px_max": 0.0, "scores_max_diff": 0.0}
    assert res["crops_per_s_fp32_batch4"] > 0 and res["crops_per_s_fp16_batch4"] > 0
    p = res["pipeline_fp16"]
    assert p["frames"] == 3 and p["latency_ms_p50"] > 0 and p["latency_ms_p99"] >= p["latency_ms_p50"]
    assert "skipped" in res["onnxruntime"] or "available" in res["onnxruntime"]  # no CUDA provider on CPU
    rtm = res["rtmpose_m_onnxruntime"]
    assert rtm["used"] == ["CPUExecutionProvider"] and rtm["vs_cpu"]["keypoints_px_max"] == 0.0
    assert rtm["crops_per_s_batch4"] > 0
    yolox = res["yolox_l_detector"]
    assert yolox["fp32_box_px_max_diff"] == 0.0 and yolox["fp32_score_max_diff"] == 0.0
    assert yolox["fp32_network_frames_per_s"] > 0 and yolox["fp32_detect_frames_per_s"] > 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the check would run for real")
def test_without_cuda_it_says_so_and_exits_zero(capsys):
    assert gpu_check.main(["--device", "cuda"]) == 0
    assert "no CUDA device here" in capsys.readouterr().out
