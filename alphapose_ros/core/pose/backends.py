"""Choose the pose estimator: AlphaPose's networks with the user's checkpoint, or the MediaPipe
backend that needs no download. The one place the commands and the pose node decide this."""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

from alphapose_ros.core.pose.model_zoo import cached_file, cached_path, load_manifest

BACKENDS = ("auto", "alphapose", "mediapipe")
log = logging.getLogger("alphapose_ros.pose_backends")


def cached_official_models() -> list[str]:
    """Names of the manifest's pose models whose checkpoints are in the cache."""
    try:
        return [e.name for e in load_manifest().values() if e.kind == "pose" and cached_path(e).is_file()]
    except Exception:  # no manifest, unreadable cache: nothing usable
        return []


def checkpoint_for_config(cfg: str | Path) -> Path | None:
    """The cached official checkpoint whose manifest config is `cfg` (matched by the path's ending)."""
    want = Path(cfg).as_posix()
    for e in load_manifest().values():
        if e.kind == "pose" and e.config and want.endswith(e.config) and cached_path(e).is_file():
            return cached_path(e)
    return None


def make_pose_estimator(backend: str = "auto", *, cfg: str | Path | None = None,
                        checkpoint: str | Path | None = None, keypoint_format: str = "halpe_26",
                        device: str = "cpu", half: bool = False, batch_size: int = 64, flip: bool = False,
                        torchscript: bool = False, reid: str = "auto", engine: str = "torch",
                        exported: str | Path | None = None, pose_model: str | None = None, threads: int = 0):
    """An estimator with `.format`, `.head`, `.describe()` and `__call__(image_rgb, boxes)`.

    `pose_model` (a manifest name such as rtmw-m, or an .onnx file) takes precedence over the backend:
    see `named_model_estimator`.

    auto: AlphaPose when a config (or an exported file) is given (its checkpoint from the cache when not
    given), otherwise MediaPipe, saying so in the log. `reid`: OSNet-AIN weights for identity
    embeddings -- a path (OSNet-AIN, or a pose-guided branch trained with this checkpoint), "auto" (the
    official OSNet-AIN file when it is in the cache) or "none". `engine` runs the
    AlphaPose network: torch, or onnxruntime / openvino on `exported` (an alphapose-export file, FP32 or
    INT8) or on an export of the checkpoint made on first use. `threads` > 0 caps the network's CPU threads
    (torch's are process-wide).
    """
    from alphapose_ros.core.engines.runtimes import ENGINES

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
    if exported and engine == "torch":
        raise ValueError(f"{exported}: an exported model runs with engine onnxruntime or openvino, not torch")
    embedder = make_embedder(reid, device=device, half=half)
    if pose_model:
        if cfg:
            raise ValueError(f"give either a pose model ({pose_model}) or an AlphaPose config ({cfg}), not both")
        return named_model_estimator(pose_model, engine=engine, device=device, half=half, batch_size=batch_size,
                                     embedder=embedder, flip=flip, threads=threads)
    if backend not in BACKENDS:
        raise ValueError(f"unknown pose backend {backend!r} (one of {', '.join(BACKENDS)})")
    if backend == "auto":
        backend = "alphapose" if cfg or exported else "mediapipe"
        if backend == "mediapipe":
            found = cached_official_models()
            hint = (f" (official checkpoints in the cache: {', '.join(found)}; pass their AlphaPose config "
                    "with --cfg to use them)" if found else "")
            log.info("no AlphaPose config given: using the no-download MediaPipe BlazePose backend "
                     "(Apache-2.0 weights, %s)%s", keypoint_format, hint)
    if backend == "alphapose":
        from alphapose_ros.core.pose.estimator import PoseEstimator

        from alphapose_ros.core.models.config import load_config

        if exported:
            est = PoseEstimator.from_exported(exported, engine, device=device, half=half, batch_size=batch_size,
                                              flip=flip, embedder=embedder, threads=threads)
            if cfg and replace(load_config(cfg), source="") != replace(est.cfg, source=""):
                raise ValueError(f"{exported} was exported from another model than {cfg} describes")
            return est
        if not cfg:
            raise ValueError("the alphapose backend needs an AlphaPose config (--cfg / pose_config)")
        load_config(cfg)  # a broken config is named before a missing checkpoint is
        checkpoint = checkpoint or checkpoint_for_config(cfg)
        if checkpoint is None:
            raise ValueError(f"no checkpoint given for {cfg} and none cached for it; see alphapose-download --list")
        return PoseEstimator.from_files(cfg, checkpoint, device=device, half=half, batch_size=batch_size, flip=flip,
                                        torchscript=torchscript, embedder=embedder, engine=engine, threads=threads)
    from alphapose_ros.core.mediapipe.estimator import MediaPipePoseEstimator

    if getattr(embedder, "needs_features", False):
        raise ValueError(f"{reid}: pose-guided re-ID weights run inside the AlphaPose pose network they were "
                         "trained with (pass its config and checkpoint), not beside MediaPipe")
    if device != "cpu" or half or flip or engine != "torch":
        log.warning("the MediaPipe backend runs on the CPU in fp32 without flip test (LiteRT); "
                    "ignoring device/fp16/flip/engine")
    return MediaPipePoseEstimator(keypoint_format, batch_size=min(batch_size, 16), embedder=embedder,
                                  num_threads=threads or 2)


def named_model_estimator(pose_model: str, *, engine: str = "onnxruntime", device: str = "cpu", half: bool = False,
                          batch_size: int = 16, embedder=None, flip: bool = False, threads: int = 0):
    """The estimator of an ONNX pose model named by manifest name or path: an alphapose-export file (its
    sidecar beside it), or an RTMPose-family file read from its inputs/outputs alone (SimCC top-down, or
    RTMO, which is one-stage: `.one_stage` and `.people(image)` instead of boxes). ONNX files run on ONNX
    Runtime (engine torch means ONNX Runtime here) or OpenVINO."""
    from alphapose_ros.core.engines.onnx_export import sidecar_path
    from alphapose_ros.core.pose.model_zoo import ModelZooError, model_file
    from alphapose_ros.core.rtm.model_file import inspect_onnx

    try:
        path = model_file(pose_model, "pose")
    except ModelZooError as e:
        raise ValueError(str(e)) from None
    engine = "onnxruntime" if engine == "torch" else engine
    if path.suffix != ".onnx":
        raise ValueError(f"{path}: a pose model file is an .onnx file (an AlphaPose .pth needs its config: --cfg)")
    if sidecar_path(path).is_file():  # an alphapose-export of an AlphaPose network
        from alphapose_ros.core.pose.estimator import PoseEstimator

        return PoseEstimator.from_exported(path, engine, device=device, half=half, batch_size=batch_size, flip=flip,
                                           embedder=embedder, threads=threads)
    spec = inspect_onnx(path)
    if spec.family == "detector":
        raise ValueError(f"{spec.describe()}: not a pose model (pass it as the detector: --det-model / det_model)")
    if spec.family == "rtmo":  # one-stage: finds its own people, no detector
        from alphapose_ros.core.rtm.rtmo import RTMOModel

        est = RTMOModel(spec, engine, device=device, embedder=embedder, threads=threads)
        log.info("pose model: %s (one-stage: no person detector runs)", est.describe())
        return est
    if flip:
        log.warning("%s: no flip test for SimCC models; ignoring flip", path.name)
    if getattr(embedder, "needs_features", False):
        raise ValueError("pose-guided re-ID weights run inside the AlphaPose network they were trained with")
    from alphapose_ros.core.rtm.estimator import SimCCPoseEstimator

    est = SimCCPoseEstimator(spec, engine, device=device, half=half, batch_size=batch_size, embedder=embedder,
                             threads=threads)
    log.info("pose model: %s", est.describe())
    return est


def make_embedder(reid: str = "auto", device: str = "cpu", half: bool = False):
    """The re-ID embedder for `reid` (a weights path, "auto" or "none"), or None: OSNet-AIN, or the
    pose-guided branch (PoseGuidedEmbedder, which the pose estimator binds to its network)."""
    from alphapose_ros.core.reid.embedder import load_reid_embedder
    from alphapose_ros.core.reid.osnet_ain import MANIFEST_NAME

    if reid in ("", "none"):
        return None
    path = cached_file(MANIFEST_NAME) if reid == "auto" else Path(os.path.expandvars(reid)).expanduser()
    if path is None:
        log.info("no re-ID weights in the cache: tracking matches by position and shape only")
        return None
    embedder = load_reid_embedder(path, device=device, half=half and str(device).startswith("cuda"))
    log.info("re-ID embeddings: %s (%d-d) from %s", type(embedder).__name__, embedder.dim, path)
    return embedder
