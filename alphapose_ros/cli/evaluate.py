"""alphapose-eval: COCO keypoint AP/AR of results (alphapose-infer's JSON) against ground truth.

    alphapose-eval --gt person_keypoints_val.json --results out/alphapose-results.json --format coco_17
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from alphapose_ros.core.io.results import unwritable_reason

log = logging.getLogger("alphapose-eval")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-eval", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gt", required=True, type=Path, help="COCO-format keypoint ground truth (JSON)")
    ap.add_argument("--results", required=True, type=Path, help="results in AlphaPose's format (JSON list)")
    ap.add_argument("--format", default="coco_17", help="keypoint format (its OKS sigmas are used)")
    ap.add_argument("--oks-nms", action="store_true",
                    help="first rescore the results and suppress duplicates by OKS per image, as AlphaPose's "
                         "validate.py --oks-nms does (for results made without pose NMS, e.g. on ground-truth boxes)")
    ap.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    a = ap.parse_args(argv)
    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.core.training.evaluate import keypoint_stats

    try:
        why = a.out and unwritable_reason(a.out)
        if why:  # found out before evaluating
            raise ValueError(f"cannot write the figures to {a.out}: {why}")
        sigmas = get_format(a.format).oks_sigmas
        if sigmas is None:
            raise ValueError(f"format {a.format} has no OKS sigmas to evaluate with")
        results = read_json(a.results, "results")
        if a.oks_nms:
            from alphapose_ros.core.nms.oks import oks_nms_records

            if not isinstance(results, list):
                raise ValueError(f"results {a.results}: not a list of person records")
            before = len(results)
            results = oks_nms_records(results)
            log.info("OKS NMS kept %d of %d records", len(results), before)
        stats = keypoint_stats(read_json(a.gt, "ground truth"), results, sigmas)
    except (OSError, ValueError, KeyError) as e:
        log.error("%s", e)
        return 2
    for k, v in stats.items():
        print(f"{k:10s} {v:.4f}")
    if a.out:
        try:
            a.out.write_text(json.dumps(stats, indent=2))
        except OSError as e:
            log.error("cannot write the figures to %s: %s", a.out, e.strerror or e)
            return 2
    return 0


def read_json(path: Path, what: str) -> object:
    """The JSON in `path`; errors name the file."""
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{what} {path}: {e}") from None


if __name__ == "__main__":
    sys.exit(main())
