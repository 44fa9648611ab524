"""alphapose-nms-search: fit the parametric pose NMS parameters on your data.

    alphapose-infer ... --pose-nms none --outdir cands/            (redundant candidates)
    alphapose-nms-search --gt person_keypoints_val.json --candidates cands/alphapose-results.json \\
        --format coco_17 --out pose_nms.yaml

The YAML is what the pose_nms node's `params_file` parameter takes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml


def main(argv: list[str] | None = None) -> int:
    from alphapose_ros.core.nms.oks import sigmas_for
    from alphapose_ros.core.nms.parametric import PoseNMSParams
    from alphapose_ros.core.skeletons import get_format
    from alphapose_ros.core.training.nms_search import Candidates, params_yaml, search

    ap = argparse.ArgumentParser(prog="alphapose-nms-search", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gt", help="COCO keypoint annotations (JSON)")
    ap.add_argument("--candidates", help="AlphaPose results JSON without pose NMS")
    ap.add_argument("--synthetic", action="store_true",
                    help="demonstrate on a synthetic set with known redundancy, from deliberately bad parameters")
    ap.add_argument("--format", default="coco_17", help="keypoint format of both files")
    ap.add_argument("--heatmap-head", action="store_true", help="start from the heatmap-model defaults")
    ap.add_argument("--formula", choices=("alphapose", "paper"), default="alphapose",
                    help="the similarity to fit: AlphaPose's code, or the paper's eqs. 17-18")
    ap.add_argument("--init", help="YAML of starting parameters (default: AlphaPose's)")
    ap.add_argument("--max-cycles", type=int, default=10)
    ap.add_argument("--out", required=True, help="parameter YAML to write")
    a = ap.parse_args(argv)
    fmt = get_format(a.format)
    init = yaml.safe_load(Path(a.init).read_text()) if a.init else {}
    if a.synthetic:
        from alphapose_ros.core.training.nms_search import synthetic_set

        gt, cands = synthetic_set(k=fmt.num_keypoints)
        init = init or {"gamma": 1000.0, "match_thresh": 1000.0}  # deliberately bad: suppresses nothing
    elif not (a.gt and a.candidates):
        ap.error("--gt and --candidates are required (or --synthetic)")
    else:
        gt = json.loads(Path(a.gt).read_text())
        cands = Candidates.from_records(json.loads(Path(a.candidates).read_text()))
    start = PoseNMSParams.for_layout(fmt.num_keypoints, a.heatmap_head, **{"formula": a.formula, **init})
    res = search(gt, cands, start, sigmas_for(fmt.num_keypoints), a.max_cycles, log=print)
    Path(a.out).write_text(yaml.safe_dump(params_yaml(res.params), sort_keys=False))
    print(f"AP {res.start_ap:.4f} -> {res.ap:.4f} after {res.cycles} cycles, {res.evaluations} evaluations; "
          f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
