"""Strict, safe loading of AlphaPose pose checkpoints.

Files are read with torch.load(weights_only=True): tensors and plain containers only,
never arbitrary pickled objects. Accepted layouts: a bare state_dict (what AlphaPose
ships), one nested under "state_dict" or "model", and keys with a DataParallel
"module." prefix. Loading is strict: on any mismatch the error names the missing,
unexpected and mis-shaped keys and describes the network the file would fit.
"""
from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import torch
from torch import nn

from alphapose_ros.core.models.config import PoseModelConfig

_NESTED_KEYS = ("state_dict", "model", "model_state_dict")
_RESNET_DEPTH = {6: 50, 23: 101, 36: 152}  # blocks in stage 3 -> depth


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not fit the network."""


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint file, with any 'module.' prefix removed."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    with open(path, "rb") as f:
        magic = f.read(4)
    if not magic:
        raise CheckpointError(f"cannot read checkpoint {path}: the file is empty")
    if magic != b"PK\x03\x04" and magic[:1] != b"\x80":  # torch.save writes a zip archive (old: a pickle)
        raise CheckpointError(f"cannot read checkpoint {path}: not a PyTorch checkpoint (neither a zip archive "
                              "nor a pickle)")
    try:
        with warnings.catch_warnings():  # torch's remarks on pickle protocols are not the user's business
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's text would suggest weights_only=False: never, it can run code
        raise CheckpointError(f"cannot read checkpoint {path}: it holds objects other than tensors (code, "
                              "classes), which could run code when loaded: refused; only plain tensor files "
                              "are accepted") from None
    except Exception as e:  # EOF for truncated files, zip errors for damaged ones
        first = (str(e).splitlines() or ["no message"])[0]
        raise CheckpointError(f"cannot read checkpoint {path}: {type(e).__name__}: {first}") from None
    return normalise_state_dict(obj, str(path))


def normalise_state_dict(obj: object, source: str = "checkpoint") -> dict[str, torch.Tensor]:
    """Unwrap nested layouts and strip DataParallel prefixes."""
    if isinstance(obj, dict):
        for key in _NESTED_KEYS:
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{source}: not a state_dict (expected a mapping of parameter names to tensors)")
    out = {}
    for k, v in obj.items():
        out[k[len("module."):] if k.startswith("module.") else k] = v
    return out


def output_layer(state: dict[str, torch.Tensor]) -> torch.Tensor | None:
    """The weight of the per-keypoint output conv (its first dimension is K), if any."""
    return state.get("conv_out.weight", state.get("final_layer.weight"))


def describe_state_dict(state: dict[str, torch.Tensor]) -> str:
    """A one-line guess of the network a state_dict belongs to (for error messages)."""
    if "backbone.backbone.stem.conv.conv.weight" in state:
        return "a YOLOX person-detector checkpoint (give it to the detector, not the pose estimator)"
    if "conv2.0.conv2.0.layers.0.conv1.weight" in state:
        return "an OSNet re-ID network (give it to the tracker's re-ID embedder)"
    head = output_layer(state)
    parts = []
    if "duc1.conv.weight" in state:
        parts.append("FastPose")
    elif "duc3.1.weight" in state:
        parts.append("FastPose_DUC" + (" (shuffle backbone)" if "preact.layer2.0.conv2.1.weight" in state else ""))
    elif "stage2.0.fuse_layers.0.1.0.weight" in state:
        parts.append(f"HRNet-W{state['stage2.0.fuse_layers.0.1.0.weight'].shape[0]}")
    elif "deconv_layers.0.weight" in state:
        parts.append("SimplePose")
    else:
        parts.append("an unknown network")
    if any(k.endswith("conv2_offset.weight") for k in state):
        parts[0] += "-DCN"
    blocks = {k.split(".")[2] for k in state if k.startswith("preact.layer3.")}
    if blocks:
        parts.append(f"ResNet-{_RESNET_DEPTH.get(len(blocks), '?')}")
    if head is not None:
        if "conv_out.weight" in state:
            parts.append(f"CONV_DIM {head.shape[1]}")
        parts.append(f"{head.shape[0]} keypoints")
    return ", ".join(parts)


def load_state_dict_strict(model: nn.Module, state: dict[str, torch.Tensor], cfg: PoseModelConfig | None = None,
                           source: str = "checkpoint", advice: str = "use the AlphaPose config it was trained with"
                           ) -> None:
    """Copy `state` into `model`, or raise CheckpointError naming every mismatch (and `advice`)."""
    expected = model.state_dict()
    # very old PyTorch wrote no BatchNorm counters; they carry no weights
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    misshaped = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
                 for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or misshaped:
        def show(items: list[str]) -> str:
            return ", ".join(items[:6]) + (f" (+{len(items) - 6} more)" if len(items) > 6 else "")
        lines = [f"{source} does not fit the network"
                 + (f" built from {cfg.source or 'the config'} ({cfg.describe()})" if cfg else "") + ":"]
        if missing:
            lines.append(f"  missing keys ({len(missing)}): {show(missing)}")
        if unexpected:
            lines.append(f"  unexpected keys ({len(unexpected)}): {show(unexpected)}")
        if misshaped:
            lines.append(f"  mis-shaped ({len(misshaped)}): {show(misshaped)}")
        lines.append(f"  the file looks like: {describe_state_dict(state)} - {advice}")
        raise CheckpointError("\n".join(lines))
    model.load_state_dict(state, strict=False)  # strictness checked above, counters tolerated


def load_checkpoint(model: nn.Module, path: str | Path, cfg: PoseModelConfig | None = None) -> nn.Module:
    """Read a checkpoint file and load it strictly into `model` (returned, in eval mode)."""
    load_state_dict_strict(model, read_state_dict(path), cfg, str(path))
    return model.eval()
