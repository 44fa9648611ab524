"""GPU check: the package's GPU paths on this machine, each against the CPU path, in one short run.

    python -m alphapose_ros.bench.gpu_check [--device cuda] [--frames 90] [--rate 30] [--json F]

FastPose-50 Halpe-136 with SIKR (untrained weights in the official layout: speed and CPU/GPU agreement
do not depend on the values; accuracy does, and is not measured here) on the person boxes HOG finds in
vtest.avi (upscaled to 1280x960, as a robot camera's frames are large):
1. the network on the device: crops/s at batch 64 in fp32 and fp16, and its decoded keypoints against
   the CPU's on the same crops (px);
2. the pipeline (crops cut on the device in one batch, decode, pose NMS, MSIM tracking) fed the clip at
   --rate Hz as a camera would: frames/s and latency from each frame's camera time, p50 and p99 (the
   pipeline without DDS: the ROS wheels do not travel to a GPU machine that cannot install them);
3. ONNX Runtime on the device: its CUDA and TensorRT providers where this onnxruntime has them, against
   torch fp32;
4. RTMPose-m (its architecture in the released ONNX layout, random weights) through the SimCC backend on
   the device's ONNX Runtime providers: crops/s and keypoints against the CPU provider's;
5. the gpu_halpe136 preset's detector, YOLOX-L (untrained, so its boxes are not people: speed and CPU/GPU
   agreement only), one camera frame per call in fp32 and fp16: frames/s and its raw outputs against the CPU's.
Without a CUDA device it says so and exits 0; --device cpu runs the same checks on CPU tensors.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

FOOTAGE = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
MODEL = {"MODEL": {"TYPE": "FastPose", "NUM_LAYERS": 50, "CONV_DIM": 256}, "DATA_PRESET": {"NUM_JOINTS": 136},
         "LOSS": {"TYPE": "L1JointRegression"}, "DATASET": {"TRAIN": {"TYPE": "Halpe_136"}}}


def _frames(video: Path, n: int, width: int) -> list[np.ndarray]:
    import cv2

    from alphapose_ros.bench.detectors import read_frames

    frames = read_frames(video, n)
    if not frames:
        raise SystemExit(f"gpu_check: no frames in {video}")
    h, w = frames[0].shape[:2]
    return [cv2.resize(f, (width, round(h * width / w))) for f in frames]


def _estimators(device: str, batch: int, frames: list[np.ndarray], boxes: list[np.ndarray]):
    """The same network three ways: CPU fp32, device fp32, device fp16. Its BatchNorm statistics come from
    the clip's crops (bench.int8_price's realistic_model), so activations spread as a trained network's do and
    fp16's rounding shows; with default statistics the outputs are flat and any precision looks exact."""
    import cv2

    from alphapose_ros.bench.int8_price import realistic_model
    from alphapose_ros.core.models.config import build_model, parse_config
    from alphapose_ros.core.pose.crop import crop_batch
    from alphapose_ros.core.pose.estimator import PoseEstimator

    cfg = parse_config(MODEL)
    crops = np.concatenate([crop_batch(cv2.cvtColor(f, cv2.COLOR_BGR2RGB), b, cfg.input_hw)[0]
                            for f, b in zip(frames[::9], boxes[::9]) if len(b)])
    _, model = realistic_model(crops)
    state = {k: v.clone() for k, v in model.state_dict().items()}

    def make(dev: str, half: bool, pad: bool | None = None) -> PoseEstimator:
        m = build_model(cfg)
        m.load_state_dict(state)
        return PoseEstimator(cfg, m.eval(), device=dev, half=half, batch_size=batch, pad_batches=pad)
    return cfg, state, make("cpu", False), make(device, False), make(device, half=device != "cpu"), make


def _agreement(a, b) -> dict:
    d = np.linalg.norm(a.keypoints - b.keypoints, axis=-1)
    return {"keypoints_px_median": round(float(np.median(d)), 4), "keypoints_px_max": round(float(d.max()), 4),
            "scores_max_diff": round(float(np.abs(a.keypoint_scores - b.keypoint_scores).max()), 5)}


def _calls_per_s(call, seconds: float, on_cuda: bool) -> float:
    """`call(i)` repeated for about `seconds` after one warm-up call; calls per second, the device synchronised
    at both ends (ONNX Runtime calls return when done)."""
    sync = torch.cuda.synchronize if on_cuda else (lambda: None)
    call(0)
    sync()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 2:
        call(n)
        n += 1
    sync()
    return n / (time.perf_counter() - t0)


def _crops_per_s(est, frame: np.ndarray, boxes: np.ndarray, seconds: float) -> float:
    on_cuda = getattr(est, "device", torch.device("cpu")).type == "cuda"
    return len(boxes) * _calls_per_s(lambda i: est(frame, boxes), seconds, on_cuda)


def _paced_pipeline(est, frames: list[np.ndarray], boxes: list[np.ndarray], rate: float) -> dict:
    """Frames offered at `rate` Hz (the source waits for each frame's camera time); latency from that time."""
    from alphapose_ros.core.pipeline import Frame, FramePipeline, PoseNMSConfig, nms_params_for
    from alphapose_ros.core.tracking.msim import MSIMTracker

    for f, b in zip(frames[:10], boxes[:10]):  # the device's kernels chosen and warm for these batch sizes
        est(f, b)
    pipe = FramePipeline(est, None, PoseNMSConfig(params=nms_params_for(est, score_thresh=0.0)), MSIMTracker())
    start = time.perf_counter() + 0.5
    due = [start + i / rate for i in range(len(frames))]

    def camera():
        for i, f in enumerate(frames):
            time.sleep(max(0.0, due[i] - time.perf_counter()))
            yield Frame(str(i), i / rate, f, boxes[i], np.full(len(boxes[i]), 0.9, np.float32))
    lat, people, index = [], 0, []
    for it in pipe.run(camera(), queue_size=2):
        lat.append(it.t_out - due[it.index])
        index.append(it.index)
        people += 0 if it.error else len(it.data["poses"])
    wall = time.perf_counter() - start
    first_seen = {}
    for i, b in enumerate(boxes):
        first_seen.setdefault(len(b), i)
    slowest = [f"frame {index[j]}: {1e3 * lat[j]:.0f} ms, {len(boxes[index[j]])} boxes"
               f"{' (first time)' if first_seen[len(boxes[index[j]])] == index[j] else ''}"
               for j in np.argsort(lat)[::-1][:5]]
    return {"frames": len(lat), "frames_per_s": round(len(lat) / wall, 1), "camera_hz": rate,
            "latency_ms_p50": round(1e3 * float(np.percentile(lat, 50)), 1),
            "latency_ms_p99": round(1e3 * float(np.percentile(lat, 99)), 1),
            # the stage threads' first CUDA calls make their own cuDNN/cuBLAS handles: a start-up cost, apart
            "latency_ms_p99_after_1s": round(1e3 * float(np.percentile(lat[int(rate):] or lat, 99)), 1),
            "people_per_frame": people / len(lat),
            "slowest": slowest}


def _onnxruntime(cfg, state, device: str, frame: np.ndarray, boxes: np.ndarray, reference) -> dict:
    try:
        import onnxruntime as ort
    except ImportError:
        return {"available": "onnxruntime is not installed"}
    have = ort.get_available_providers()
    out: dict = {"providers": have}
    if device == "cpu" or not ({"CUDAExecutionProvider", "TensorrtExecutionProvider"} & set(have)):
        out["skipped"] = "no CUDA or TensorRT provider in this onnxruntime (onnxruntime-gpu has them)"
        return out
    from alphapose_ros.core.pose.estimator import PoseEstimator
    from alphapose_ros.core.models.config import build_model

    m = build_model(cfg)
    m.load_state_dict(state)
    try:
        est = PoseEstimator(cfg, m.eval(), device=device, engine="onnxruntime")
        got = est(frame, boxes)
    except Exception as e:  # a provider that fails to build is a finding, not a crash of the check
        out["error"] = f"{type(e).__name__}: {e}"
        return out
    out["used"] = [p if isinstance(p, str) else p[0] for p in est.model.providers]
    out["vs_torch_fp32"] = _agreement(reference, got)
    out["crops_per_s"] = round(_crops_per_s(est, frame, boxes, 2.0), 1)
    return out


def _rtmpose(device: str, frame: np.ndarray, boxes: np.ndarray, seconds: float, batch: int) -> dict:
    """The SimCC backend on RTMPose-m: the device's ONNX Runtime providers against the CPU provider."""
    import tempfile

    from alphapose_ros.core.models.rtmpose import build_variant, export_released_layout
    from alphapose_ros.core.rtm.estimator import SimCCPoseEstimator
    from alphapose_ros.core.rtm.model_file import inspect_onnx

    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        spec = inspect_onnx(export_released_layout(build_variant("rtmpose-m"), Path(tmp) / "rtmpose-m.onnx",
                                                   (256, 192)))
        cpu = SimCCPoseEstimator(spec, batch_size=batch)
        try:
            dev = SimCCPoseEstimator(spec, device=device, batch_size=batch)
        except ValueError as e:  # no CUDA provider in this onnxruntime
            return {"skipped": str(e)}
        out = {"used": [p if isinstance(p, str) else p[0] for p in dev.net.providers],
               "vs_cpu": _agreement(cpu(frame, boxes), dev(frame, boxes))}
        many = np.tile(boxes, (int(np.ceil(batch / len(boxes))), 1))[:batch]
        out[f"crops_per_s_batch{batch}"] = round(_crops_per_s(dev, frame, many, seconds), 1)
    return out


def _yolox_l(device: str, frames: list[np.ndarray], seconds: float) -> dict:
    """YOLOX-L on the device, one frame per call as a camera feeds it: the network's frames/s and the whole
    detect()'s (pre-processing and NMS on the CPU), and its raw rows against the CPU's (box centre/size in
    input pixels, objectness x person score)."""
    from alphapose_ros.core.detectors.yolox import YoloxDetector

    torch.manual_seed(0)
    cpu = YoloxDetector("yolox-l", None)
    state = cpu.net.state_dict()
    batch = torch.from_numpy(cpu.network_inputs(frames[:1]))
    ref = cpu.predictions(batch).numpy()
    out: dict = {}

    def rate(call) -> float:
        return round(_calls_per_s(call, seconds, device.startswith("cuda")), 1)
    for half in (False, True) if device != "cpu" else (False,):
        det = YoloxDetector("yolox-l", None, device=device, half=half and device != "cpu")
        det.net.load_state_dict(state)
        got = det.predictions(batch).cpu().numpy()
        tag = "fp16" if det.half else "fp32"
        out[f"{tag}_box_px_max_diff"] = round(float(np.abs(got[..., :4] - ref[..., :4]).max()), 4)
        score = got[..., 4] * got[..., 5]
        out[f"{tag}_score_max_diff"] = round(float(np.abs(score - ref[..., 4] * ref[..., 5]).max()), 5)
        on_dev = batch.to(det.device)
        out[f"{tag}_network_frames_per_s"] = rate(lambda n: det.predictions(on_dev))
        out[f"{tag}_detect_frames_per_s"] = rate(lambda n: det.detect([frames[n % len(frames)]]))
    return out


def run(device: str, video: Path, n_frames: int, rate: float, width: int, seconds: float, batch: int = 64,
        boxes_file: Path | None = None) -> dict:
    from alphapose_ros.core.detectors.factory import make_detector

    frames = _frames(video, n_frames, width)
    if boxes_file is not None:  # HOG's boxes saved on another machine (OpenCV 5's wheels have no HOG)
        boxes = [np.asarray(b, np.float32).reshape(-1, 4) for b in json.loads(boxes_file.read_text())][:len(frames)]
    else:
        boxes = [d.boxes for d in make_detector("hog").detect(frames)]
    cfg, state, cpu, dev32, dev16, make = _estimators(device, batch, frames, boxes)
    busiest = int(np.argmax([len(b) for b in boxes]))
    frame, fboxes = frames[busiest], boxes[busiest]
    if len(fboxes) == 0:
        raise SystemExit("gpu_check: HOG found nobody in the clip; nothing to crop")
    ref = cpu(frame, fboxes)
    res: dict = {"device": torch.cuda.get_device_name(device) if device.startswith("cuda") else "cpu",
                 "torch": torch.__version__, "frames": f"{len(frames)} of {video.name} at {frame.shape[1]}x"
                 f"{frame.shape[0]}, {sum(map(len, boxes))} HOG boxes"
                 f"{' (from ' + boxes_file.name + ')' if boxes_file else ''}"}
    res["fp32_vs_cpu"] = _agreement(ref, dev32(frame, fboxes))
    res["fp16_vs_cpu"] = _agreement(ref, dev16(frame, fboxes))
    many = np.tile(fboxes, (int(np.ceil(batch / len(fboxes))), 1))[:batch]
    res[f"crops_per_s_fp32_batch{batch}"] = round(_crops_per_s(dev32, frame, many, seconds), 1)
    res[f"crops_per_s_fp16_batch{batch}"] = round(_crops_per_s(dev16, frame, many, seconds), 1)
    res["pipeline_fp16"] = _paced_pipeline(dev16, frames, boxes, rate)
    if dev16.pad_batches:  # the same without padding: what each new number of people costs the first time
        res["pipeline_fp16_exact_batches"] = _paced_pipeline(make(device, dev16.half, False), frames, boxes, rate)
    res["onnxruntime"] = _onnxruntime(cfg, state, device, frame, fboxes, ref)
    res["rtmpose_m_onnxruntime"] = _rtmpose(device, frame, fboxes, seconds, batch)
    res["yolox_l_detector"] = _yolox_l(device, frames, seconds)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="gpu_check", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="cuda[:N], or cpu for the same checks on CPU tensors")
    ap.add_argument("--video", type=Path, default=FOOTAGE)
    ap.add_argument("--frames", type=int, default=90, help="clip frames (also the paced pipeline's)")
    ap.add_argument("--rate", type=float, default=30.0, help="camera rate for the paced pipeline (Hz)")
    ap.add_argument("--width", type=int, default=1280, help="frames resized to this width")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds per crops/s figure")
    ap.add_argument("--batch", type=int, default=64, help="crops per network call")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--boxes", type=Path, help="person boxes per frame (JSON from --save-boxes) instead of HOG")
    ap.add_argument("--save-boxes", type=Path, help="write the frames' person boxes here (JSON)")
    a = ap.parse_args(argv)
    if a.device.startswith("cuda") and not torch.cuda.is_available() and not a.save_boxes:
        print("gpu_check: no CUDA device here (torch.cuda.is_available() is false): nothing to check")
        return 0
    if a.save_boxes:  # for a GPU machine whose OpenCV has no HOG
        from alphapose_ros.core.detectors.factory import make_detector

        boxes = [d.boxes.round(2).tolist() for d in make_detector("hog").detect(_frames(a.video, a.frames, a.width))]
        a.save_boxes.write_text(json.dumps(boxes))
        print(f"gpu_check: {sum(map(len, boxes))} HOG boxes in {len(boxes)} frames written to {a.save_boxes}")
        return 0
    res = run(a.device, a.video, a.frames, a.rate, a.width, a.seconds, a.batch, a.boxes)
    print(json.dumps(res, indent=2))
    if a.json:
        a.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
