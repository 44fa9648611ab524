"""Read AlphaPose's own YAML model configs and build the matching network.

Users pass the same config file they use with AlphaPose (`--cfg`); only the fields
that shape the network and its decoding are read (MODEL, DATA_PRESET, LOSS, and
DATASET.TRAIN.TYPE for the keypoint format).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from torch import nn

from alphapose_ros.core.skeletons import get_format

# DATASET.TRAIN.TYPE (lower case) -> keypoint format
_DATASET_FORMATS = {
    "mscoco": "coco_17", "coco": "coco_17", "mscoco_det": "coco_17",
    "halpe_26": "halpe_26", "halpe_136": "halpe_136", "halpe_coco_wholebody_136": "halpe_136",
    "coco_wholebody": "coco_wholebody_133", "halpe_68_noface": "halpe_68", "singlehand": "hand_21",
}
_HEADS = {"MSELoss": "heatmap", "L1JointRegression": "integral", "Combined": "combined"}
SUPPORTED_TYPES = ("FastPose", "FastPose_DUC", "SimplePose", "PoseHighResolutionNet")


class ConfigError(ValueError):
    """A config this package cannot build, with the reason in the message."""


@dataclass(frozen=True)
class PoseModelConfig:
    """What a pose config says about the network, its input and its decoding."""

    model_type: str
    num_joints: int
    keypoint_format: str
    head: str  # heatmap | integral | combined
    norm_type: str = "sigmoid"
    num_layers: int = 50
    conv_dim: int = 128
    width: int = 64  # MODEL.WIDTH (this package's field, not AlphaPose's): ResNet base width; 64 = standard
    stn: bool = False  # MODEL.STN (this package's field): RMPE's SSTN + SDTN around FastPose (core.models.stn)
    stage_with_dcn: tuple[bool, bool, bool, bool] = (False, False, False, False)
    deconv_filters: tuple[int, ...] = (256, 256, 256)
    hrnet_stages: tuple = ()  # STAGE2..STAGE4 dicts for PoseHighResolutionNet
    final_conv_kernel: int = 1
    backbone: str = "se-resnet"  # FastPose_DUC: se-resnet | shuffle
    duc_convs: tuple[int, int, int] = (4, 2, 1)  # FastPose_DUC: NUM_CONV of STAGE1..3
    input_hw: tuple[int, int] = (256, 192)
    heatmap_hw: tuple[int, int] = (64, 48)
    source: str = field(default="", compare=False)

    @property
    def num_integral(self) -> int:
        """Channels decoded by SIKR in a combined head: face+hands (110), or hands (42) for 68."""
        return 42 if self.num_joints == 68 else 110

    @property
    def uses_dcn(self) -> bool:
        return any(self.stage_with_dcn)

    def describe(self) -> str:
        dcn = "-DCN" if self.uses_dcn else ""
        extra = f", CONV_DIM {self.conv_dim}" if self.model_type == "FastPose" else ""
        extra += f", WIDTH {self.width}" if self.width != 64 else ""
        extra += ", SSTN + SDTN" if self.stn else ""
        if self.model_type == "PoseHighResolutionNet":
            width = self.hrnet_stages[0]["NUM_CHANNELS"][0] if self.hrnet_stages else "?"
            return f"HRNet-W{width}, {self.num_joints} keypoints ({self.keypoint_format}), {self.head} head"
        return (f"{self.model_type}{dcn} ResNet-{self.num_layers}{extra}, {self.num_joints} keypoints "
                f"({self.keypoint_format}), {self.head} head")


def parse_config(raw: dict, source: str = "") -> PoseModelConfig:
    """PoseModelConfig from an AlphaPose config dict (as loaded from its YAML). Every value read is checked
    for its type and range: ConfigError naming the file and the key otherwise."""
    where = source or "config"
    for key in ("MODEL", "DATA_PRESET", "LOSS"):
        if key not in raw:
            raise ConfigError(f"{where}: not an AlphaPose pose config (missing section '{key}')")
    model, preset, loss = (_mapping(raw, k, where) for k in ("MODEL", "DATA_PRESET", "LOSS"))
    train = _mapping(_mapping(raw, "DATASET", where, {}), "TRAIN", f"{where}: DATASET", {})
    mtype = model.get("TYPE")
    if mtype not in SUPPORTED_TYPES:
        raise ConfigError(f"{where}: MODEL.TYPE {mtype!r} is not supported yet "
                          f"(supported: {', '.join(SUPPORTED_TYPES)})")
    k = _int(preset, "NUM_JOINTS", None, f"{where}: DATA_PRESET")
    dataset = str(train.get("TYPE", "")).lower()
    fmt = _DATASET_FORMATS.get(dataset)
    if fmt is None:
        try:
            fmt = get_format(k).name
        except KeyError:
            raise ConfigError(f"{where}: no keypoint format for dataset {dataset!r} with {k} joints") from None
    if get_format(fmt).num_keypoints != k:
        raise ConfigError(f"{where}: NUM_JOINTS {k} does not match format {fmt}")
    loss_type = loss.get("TYPE")
    if loss_type not in _HEADS:
        raise ConfigError(f"{where}: LOSS.TYPE {loss_type!r} unknown (expected {list(_HEADS)})")
    if model.get("STN") and mtype != "FastPose":
        raise ConfigError(f"{where}: MODEL.STN is an option of FastPose, not {mtype}")
    stage_dcn = (False,) * 4
    if model.get("DCN") is not None:
        if _mapping(model, "DCN", f"{where}: MODEL").get("MODULATED"):
            raise ConfigError(f"{where}: modulated DCN is not supported")
        stage_dcn = tuple(bool(s) for s in _list(model, "STAGE_WITH_DCN", (False,) * 4, f"{where}: MODEL", 4))
    m = f"{where}: MODEL"
    return PoseModelConfig(
        model_type=mtype, num_joints=k, keypoint_format=fmt, head=_HEADS[loss_type],
        norm_type=str(loss.get("NORM_TYPE", "sigmoid")),
        num_layers=_int(model, "NUM_LAYERS", 50, m), conv_dim=_int(model, "CONV_DIM", 128, m),
        width=_int(model, "WIDTH", 64, m), stn=bool(model.get("STN", False)),
        stage_with_dcn=stage_dcn,  # type: ignore[arg-type]
        deconv_filters=tuple(_positive(f, f"{m}.NUM_DECONV_FILTERS")
                             for f in _list(model, "NUM_DECONV_FILTERS", (256, 256, 256), m)),
        hrnet_stages=tuple(dict(_mapping(model, f"STAGE{i}", m)) for i in (2, 3, 4) if f"STAGE{i}" in model),
        final_conv_kernel=_int(model, "FINAL_CONV_KERNEL", 1, m),
        backbone=str(model.get("BACKBONE", "se-resnet")),
        duc_convs=tuple(_int(_mapping(model, f"STAGE{i}", m, {}), "NUM_CONV", d, f"{m}.STAGE{i}")  # type: ignore
                        for i, d in ((1, 4), (2, 2), (3, 1))),
        input_hw=_size(preset, "IMAGE_SIZE", (256, 192), f"{where}: DATA_PRESET"),
        heatmap_hw=_size(preset, "HEATMAP_SIZE", (64, 48), f"{where}: DATA_PRESET"),
        source=source)


_MISSING = object()


def _mapping(parent: dict, key: str, where: str, default=_MISSING) -> dict:
    """parent[key] when it is a mapping (or `default` when absent); ConfigError naming the key otherwise."""
    value = parent.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}: missing {key}")
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} must be a mapping of settings, not {type(value).__name__} {value!r}")
    return value


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ConfigError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def _int(parent: dict, key: str, default, where: str) -> int:
    if key not in parent and default is not None:
        return default
    if key not in parent:
        raise ConfigError(f"{where}: missing {key}")
    return _positive(parent[key], f"{where}.{key}")


def _list(parent: dict, key: str, default, where: str, length: int | None = None) -> list:
    value = parent.get(key, default)
    if not isinstance(value, (list, tuple)) or (length is not None and len(value) != length):
        raise ConfigError(f"{where}.{key} must be a list{f' of {length}' if length else ''}, not {value!r}")
    return list(value)


def _size(parent: dict, key: str, default: tuple[int, int], where: str) -> tuple[int, int]:
    """An image or heatmap size [height, width] of positive whole numbers."""
    h, w = (_positive(v, f"{where}.{key}") for v in _list(parent, key, default, where, 2))
    return h, w


def load_config(path: str | Path) -> PoseModelConfig:
    """Read an AlphaPose YAML config file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"pose config not found: {path}")
    try:
        with open(path) as f:
            raw = yaml.safe_load(f)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(e).split())})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: not a YAML mapping")
    return parse_config(raw, str(path))


def build_model(cfg: PoseModelConfig, check_ops: bool = True) -> nn.Module:
    """The network for a config, in eval mode, with untrained weights.

    check_ops=False builds DCN models even without the deformable-conv op (to inspect
    or convert their parameters; they cannot run).
    """
    if cfg.model_type == "FastPose":
        from alphapose_ros.core.models.fastpose import FastPose

        m: nn.Module = FastPose(cfg.num_joints, cfg.num_layers, cfg.conv_dim, cfg.stage_with_dcn, check_ops,
                                cfg.width, cfg.stn)
    elif cfg.model_type == "FastPose_DUC":
        from alphapose_ros.core.models.fastpose_duc import FastPoseDUC

        m = FastPoseDUC(cfg.num_joints, cfg.num_layers, cfg.backbone, cfg.duc_convs)
    elif cfg.model_type == "SimplePose":
        from alphapose_ros.core.models.simplepose import SimplePose

        m = SimplePose(cfg.num_joints, cfg.num_layers, cfg.deconv_filters)
    elif cfg.model_type == "PoseHighResolutionNet":
        from alphapose_ros.core.models.hrnet import HRNet

        m = HRNet(cfg.num_joints, cfg.hrnet_stages, cfg.final_conv_kernel)
    else:  # parse_config refuses these already
        raise ConfigError(f"MODEL.TYPE {cfg.model_type!r} is not supported")
    return m.eval()
