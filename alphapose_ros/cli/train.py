"""alphapose-train: train a pose model from an AlphaPose-style YAML config.

    alphapose-train --cfg config/training/fastpose_small_halpe26.yaml --out runs/small
        resumes from <out>/checkpoint.pth when it is there (bit for bit: batches depend only on
        the seed and the step); --steps N stops early (resume later with the same command).
Writes <out>/model_<step>.pth (plain state_dict: alphapose-infer --checkpoint reads it),
<out>/checkpoint.pth (weights + optimizer + step) and <out>/log.jsonl (loss, validation AP).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger("alphapose-train")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cfg", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=None, help="stop after this step (default: TRAIN.STEPS)")
    ap.add_argument("--no-resume", action="store_true", help="start again even if a checkpoint is there")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    from alphapose_ros.core.models.config import ConfigError
    from alphapose_ros.core.training.trainer import CHECKPOINT, Trainer

    try:
        tr = Trainer(a.cfg, a.out)
        if a.no_resume and (a.out / CHECKPOINT).exists():
            log.error("%s exists; remove it (or drop --no-resume to continue that run)", a.out / CHECKPOINT)
            return 2
        if tr.resume():
            log.info("resumed at step %d from %s", tr.step, a.out / CHECKPOINT)
        log.info("%s; %d training people in %d set(s), ratios %s", tr.model_cfg.describe(),
                 sum(len(d) for d in tr.datasets), len(tr.datasets), tr.ratios)
        lines = tr.run(a.steps, progress=not a.no_progress)
    except (OSError, ValueError, KeyError, ConfigError) as e:
        log.error("%s", e)
        return 2
    for line in lines:
        if any(k.startswith("val_") for k in line):
            log.info("step %d: val AP %.3f", line["step"], line.get("val_AP", float("nan")))
    log.info("step %d; weights in %s", tr.step, a.out / f"model_{tr.step}.pth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
