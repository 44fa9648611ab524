"""Engine selection: execution providers per device (the GPU logic runs here on lists), and a GPU run
where one is present."""
import pytest
import torch

from alphapose_ros.core.engines.runtimes import load_runtime, providers_for

ALL = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]


def test_cpu_uses_the_cpu_provider_only():
    assert providers_for("cpu", ALL) == ["CPUExecutionProvider"]


def test_cuda_prefers_tensorrt_with_fp16_then_cuda_then_cpu():
    chosen = providers_for("cuda:1", ALL, fp16=True)
    assert [p if isinstance(p, str) else p[0] for p in chosen] == ALL
    assert chosen[0][1] == {"device_id": 1, "trt_fp16_enable": True, "trt_engine_cache_enable": True}
    assert chosen[1][1] == {"device_id": 1}
    assert [p[0] for p in providers_for("cuda", ALL[1:])[:1]] == ["CUDAExecutionProvider"]


def test_cuda_without_gpu_providers_says_what_to_install():
    with pytest.raises(ValueError, match="needs onnxruntime-gpu"):
        providers_for("cuda", ["CPUExecutionProvider"])
    with pytest.raises(ValueError, match="not supported"):
        providers_for("mps", ALL)


def test_unknown_engine_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown engine 'tensorflow'"):
        load_runtime("tensorflow", tmp_path / "m.onnx")


def test_tensorrt_fp16_on_a_gpu(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    if not torch.cuda.is_available() or "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("no CUDA GPU with onnxruntime-gpu here (CI has none): the provider logic is tested above")
    from alphapose_ros.core.engines.onnx_export import export_onnx

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU()).eval()
    path = export_onnx(net, (64, 48), tmp_path / "m.onnx")
    x = torch.randn(4, 3, 64, 48)
    got = load_runtime("onnxruntime", path, device="cuda", fp16=True)(x.cuda())
    assert got.device.type == "cuda" and float((got.cpu() - net(x)).abs().max()) < 1e-2
