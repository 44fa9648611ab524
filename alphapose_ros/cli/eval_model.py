"""alphapose-eval-model: keypoint AP of a pose checkpoint on COCO-format dataset folders,
through the whole pose pipeline (crop, network, decode, pose NMS) with jittered ground-truth
boxes as detections, or a detector's boxes (--detector).

    alphapose-eval-model --cfg models/local/fastpose_small_halpe26.yaml \
        --checkpoint models/local/fastpose_small_halpe26_sikr.pth --data data/synthetic_val data/teacher_val
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger("alphapose-eval-model")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-eval-model", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cfg", type=Path, required=True, help="the model's (AlphaPose-style) config")
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="dataset folders (annotations.json)")
    ap.add_argument("--jitter", type=float, default=0.05, help="box corner noise, fraction of the box size")
    ap.add_argument("--detector", help="take the boxes from this detector (hog, blazepose, ...) instead of the "
                                      "jittered true boxes")
    ap.add_argument("--parts", action="store_true", help="also the AP of each body part (body, foot, face, hands)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--engine", default="torch", help="torch | onnxruntime | openvino (runs --exported, or an "
                                                     "export of the checkpoint made on first use)")
    ap.add_argument("--exported", type=Path, help="an alphapose-export .onnx of this model (e.g. its INT8 file)")
    a = ap.parse_args(argv)
    from alphapose_ros.core.pose.checkpoints import CheckpointError
    from alphapose_ros.core.models.config import ConfigError, load_config
    from alphapose_ros.core.pose.backends import make_pose_estimator
    from alphapose_ros.core.training.datasets import KeypointDataset
    from alphapose_ros.core.training.evaluate_pose import evaluate_model

    out = {}
    try:
        cfg = load_config(a.cfg)
        est = make_pose_estimator(cfg=a.cfg, checkpoint=a.checkpoint, batch_size=64, reid="none",
                                  engine=a.engine, exported=a.exported)
        detector = None
        if a.detector:
            from alphapose_ros.core.detectors.factory import make_detector

            detector = make_detector(a.detector)
        for folder in a.data:
            stats = evaluate_model(est, cfg, KeypointDataset(folder, cfg.keypoint_format), jitter=a.jitter,
                                   detector=detector, parts=a.parts)
            out[str(folder)] = stats
            per_part = "".join(f"  {k[8:]} {v:.3f}" for k, v in stats.items() if k.startswith("part_AP_"))
            print(f"{folder}: AP {stats['AP']:.3f}  AP50 {stats['AP50']:.3f}  AP75 {stats['AP75']:.3f}  "
                  f"AR {stats['AR']:.3f}" + (f"  | AP by part:{per_part}" if per_part else ""))
    except (OSError, ValueError, KeyError, ImportError, ConfigError, CheckpointError) as e:
        log.error("%s", e)
        return 2
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
