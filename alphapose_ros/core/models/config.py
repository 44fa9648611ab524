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
    """PoseModelConfig from an AlphaPose config dict (as loaded from its YAML)."""
    try:
        model, preset, loss = raw["MODEL"], raw["DATA_PRESET"], raw["LOSS"]
    except KeyError as e:
        raise ConfigError(f"{source or 'config'}: not an AlphaPose pose config (missing section {e})") from None
    mtype = model.get("TYPE")
    if mtype not in SUPPORTED_TYPES:
        raise ConfigError(f"{source or 'config'}: MODEL.TYPE {mtype!r} is not supported yet "
                          f"(supported: {', '.join(SUPPORTED_TYPES)})")
    k = int(preset["NUM_JOINTS"])
    dataset = str(raw.get("DATASET", {}).get("TRAIN", {}).get("TYPE", "")).lower()
    fmt = _DATASET_FORMATS.get(dataset)
    if fmt is None:
        try:
            fmt = get_format(k).name
        except KeyError:
            raise ConfigError(f"{source or 'config'}: no keypoint format for dataset {dataset!r} "
                              f"with {k} joints") from None
    if get_format(fmt).num_keypoints != k:
        raise ConfigError(f"{source or 'config'}: NUM_JOINTS {k} does not match format {fmt}")
    loss_type = loss.get("TYPE")
    if loss_type not in _HEADS:
        raise ConfigError(f"{source or 'config'}: LOSS.TYPE {loss_type!r} unknown (expected {list(_HEADS)})")
    if model.get("STN") and mtype != "FastPose":
        raise ConfigError(f"{source or 'config'}: MODEL.STN is an option of FastPose, not {mtype}")
    stage_dcn = (False,) * 4
    if model.get("DCN") is not None:
        if model["DCN"].get("MODULATED"):
            raise ConfigError(f"{source or 'config'}: modulated DCN is not supported")
        stage_dcn = tuple(bool(s) for s in model.get("STAGE_WITH_DCN", (False,) * 4))
    return PoseModelConfig(
        model_type=mtype, num_joints=k, keypoint_format=fmt, head=_HEADS[loss_type],
        norm_type=str(loss.get("NORM_TYPE", "sigmoid")),
        num_layers=int(model.get("NUM_LAYERS", 50)), conv_dim=int(model.get("CONV_DIM", 128)),
        width=int(model.get("WIDTH", 64)), stn=bool(model.get("STN", False)),
        stage_with_dcn=stage_dcn,  # type: ignore[arg-type]
        deconv_filters=tuple(int(f) for f in model.get("NUM_DECONV_FILTERS", (256, 256, 256))),
        hrnet_stages=tuple(dict(model[f"STAGE{i}"]) for i in (2, 3, 4) if f"STAGE{i}" in model),
        final_conv_kernel=int(model.get("FINAL_CONV_KERNEL", 1)),
        backbone=str(model.get("BACKBONE", "se-resnet")),
        duc_convs=tuple(int(model.get(f"STAGE{i}", {}).get("NUM_CONV", d))  # type: ignore[arg-type]
                        for i, d in ((1, 4), (2, 2), (3, 1))),
        input_hw=tuple(int(v) for v in preset.get("IMAGE_SIZE", (256, 192))),  # type: ignore[arg-type]
        heatmap_hw=tuple(int(v) for v in preset.get("HEATMAP_SIZE", (64, 48))),  # type: ignore[arg-type]
        source=source)


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
