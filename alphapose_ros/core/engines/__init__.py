"""Inference engines for the pose network: ONNX export with a sidecar (onnx_export), ONNX Runtime and
OpenVINO sessions that stand in for the torch module (runtimes), and INT8 post-training quantisation
calibrated on real crops (int8)."""
