"""alphapose-fit-proposals: fit the part-guided proposal generator (PGPG) to how a detector's boxes differ
from the true ones, and write it as YAML for training (DATASET.TRAIN.PGPG: <that file>).

    alphapose-fit-proposals --data data/teacher_train data/synthetic_train --detector hog --out pgpg_hog.yaml
    alphapose-fit-proposals --data my_coco_folder --detections dets.json --out pgpg.yaml [--atoms 8]

Each person of the datasets (COCO folders) is matched to the detection that overlaps it most (IoU >=
--min-iou, each detection used once); the pairs' corner offsets are grouped by what is labelled of the
person (whole, upper, lower, head), and for face and hands the detected person box is taken relative to
the tight box of the person's face or hand keypoints (for face-only and hand-only training people); each
group gets a Gaussian mixture of --components (EM). --atoms N groups them by RMPE's atomic poses instead (k-means over torso-aligned poses).
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

log = logging.getLogger("alphapose-fit-proposals")


def match(det: np.ndarray, gt: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    """Greedy one-to-one (detection, person) pairs by IoU, highest first, down to min_iou."""
    from alphapose_ros.core.tracking.matching import greedy_iou_pairs

    return greedy_iou_pairs(det, gt, min_iou)


def collect_pairs(datasets, boxes_for, min_iou: float = 0.5
                  ) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray, int, dict]:
    """(detected boxes, true boxes, part classes, true keypoints, people seen, {"face"/"hand": offsets of the
    detected person boxes from the tight part boxes}) over the datasets; boxes_for(image path) gives an
    image's detections (N,4)."""
    from alphapose_ros.core.training.pgpg import offsets, part_box, part_of

    det_all, gt_all, parts, kps, people = [], [], [], [], 0
    part_off: dict[str, list] = {"face": [], "hand": []}
    for ds in datasets:
        by_image = defaultdict(list)
        for s in ds.samples:
            by_image[s.image_path].append(s)
        for path, samples in by_image.items():
            gt = np.stack([s.box for s in samples])
            det = boxes_for(path)
            people += len(samples)
            for d, g in match(det, gt, min_iou):
                det_all.append(det[d])
                gt_all.append(gt[g])
                parts.append(part_of(samples[g].keypoints[:, 2], ds.target))
                kps.append(samples[g].keypoints)
                for p in part_off:
                    tight = part_box(samples[g].keypoints, ds.target, p)
                    if tight is not None and np.all(tight[2:] > tight[:2]):
                        part_off[p].append(offsets(det[d][None].astype(np.float64), tight[None].astype(np.float64))[0])
    return (np.array(det_all, np.float64).reshape(-1, 4), np.array(gt_all, np.float64).reshape(-1, 4), parts,
            np.array(kps, np.float32), people, {p: np.array(v).reshape(-1, 4) for p, v in part_off.items()})


class _Boxes:
    """An image's detections: from a detector run on it, or from a detection-results file."""

    def __init__(self, detector=None, detfile=None):
        self.detector, self.detfile = detector, detfile

    def __call__(self, path: Path) -> np.ndarray:
        if self.detfile is not None:
            return self.detfile.boxes_for(path.name)[0]
        import cv2

        img = cv2.imread(str(path))
        if img is None:
            raise ValueError(f"cannot read image {path}")
        return self.detector.detect([img])[0].boxes


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    ap = argparse.ArgumentParser(prog="alphapose-fit-proposals", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, nargs="+", required=True, help="COCO-format dataset folders")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--detector", help="run this detector on the datasets' images (hog, blazepose, yolox-*, ...)")
    src.add_argument("--detections", type=Path, help="a COCO detection-results JSON for the datasets' images")
    ap.add_argument("--weights", help="detector weights (yolov3/yolox)")
    ap.add_argument("--yolo-cfg", help="darknet cfg for --detector yolov3")
    ap.add_argument("--out", type=Path, required=True, help="the proposal model (YAML)")
    ap.add_argument("--components", type=int, default=3, help="Gaussians per part (at most one per 10 pairs)")
    ap.add_argument("--atoms", type=int, default=0, help="RMPE: condition on this many atomic poses, not parts")
    ap.add_argument("--min-iou", type=float, default=0.5, help="a detection matches a person at this IoU")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    import yaml

    from alphapose_ros.core.io.results import unwritable_reason
    from alphapose_ros.core.training.datasets import KeypointDataset
    from alphapose_ros.core.training.pgpg import ProposalModel

    try:
        why = unwritable_reason(a.out)
        if why:
            raise ValueError(f"--out {a.out}: cannot write there ({why})")
        datasets = []
        for folder in a.data:
            if not (folder / "annotations.json").is_file():
                raise ValueError(f"{folder}: not a dataset folder (no annotations.json)")
            datasets.append(KeypointDataset(folder, "halpe_136"))
        if a.detections:
            from alphapose_ros.core.io.detfile import DetectionFile

            boxes = _Boxes(detfile=DetectionFile(a.detections))
        else:
            from alphapose_ros.core.detectors.factory import make_detector

            boxes = _Boxes(detector=make_detector(a.detector, weights=a.weights, yolo_cfg=a.yolo_cfg))
        det, gt, parts, kps, people, part_off = collect_pairs(datasets, boxes, a.min_iou)
        if len(det) < 10:
            raise ValueError(f"only {len(det)} of {people} people matched a detection at IoU >= {a.min_iou}: "
                             "too few to fit")
        model = ProposalModel.fit(det, gt, parts, components=a.components, keypoints=kps, atoms=a.atoms,
                                  seed=a.seed, part_offsets=part_off)
    except (ValueError, OSError) as e:
        log.error("%s", e)
        return 2
    doc = model.to_dict()
    count = Counter(parts)
    count.update({p: len(v) for p, v in part_off.items() if len(v)})
    doc["fitted_on"] = {"datasets": [str(d) for d in a.data], "detections": str(a.detections or a.detector),
                        "pairs": len(det), "people": people, "pairs_per_part": dict(count)}
    a.out.write_text(yaml.safe_dump(doc, sort_keys=False))
    log.info("%d of %d people matched a detection (IoU >= %.2f); pairs per part: %s", len(det), people, a.min_iou,
             ", ".join(f"{p} {n}" for p, n in count.most_common()))
    for key in model.means:
        if model.atoms is None and count[key] < 8:
            log.info("%-6s %d pairs: borrows the fit of all pairs", key, count[key])
            continue
        mean = (model.weights[key][:, None] * model.means[key]).sum(0)
        log.info("%-6s offsets x1 %+.3f y1 %+.3f x2 %+.3f y2 %+.3f (mean, box sizes), %d components", key, *mean,
                 len(model.weights[key]))
    log.info("-> %s", a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
