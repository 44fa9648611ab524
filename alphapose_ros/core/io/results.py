"""Writers for AlphaPose's results JSON (COCO results format) and the OpenPose format, and the check that an
output file can be written before a run computes it."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from alphapose_ros.core.poses import PoseSet


def alphapose_records(image_id: str | int, poses: PoseSet, merged_ids: list[list[int]] | None = None) -> list[dict]:
    """One AlphaPose result record per person: keypoints flat [x, y, score] x K,
    score = proposal score, box [x, y, w, h], idx = merged box ids (or the track id); and box_score, the
    detector's score (this package's field: the pose-NMS search needs it apart from the proposal score)."""
    out = []
    for i in range(len(poses)):
        kp = np.concatenate([poses.keypoints[i], poses.keypoint_scores[i][:, None]], 1).reshape(-1)
        x1, y1, x2, y2 = (float(v) for v in poses.boxes[i])
        rec = {"image_id": image_id, "category_id": 1, "keypoints": [float(v) for v in kp],
               "score": float(poses.scores[i]), "box": [x1, y1, x2 - x1, y2 - y1],
               "box_score": float(poses.box_scores[i])}
        if poses.track_ids[i] >= 0:
            rec["idx"] = int(poses.track_ids[i])
        elif merged_ids is not None:
            rec["idx"] = [int(v) for v in merged_ids[i]]
        out.append(rec)
    return out


def validate_alphapose_records(records: list[dict], num_keypoints: int) -> None:
    """Raise ValueError unless `records` follow AlphaPose's results format."""
    if not isinstance(records, list):
        raise ValueError("results must be a list of person records")
    for j, r in enumerate(records):
        for key, typ in (("image_id", (str, int)), ("category_id", int), ("keypoints", list),
                         ("score", float), ("box", list)):
            if not isinstance(r.get(key), typ):
                raise ValueError(f"record {j}: field {key!r} missing or not {typ}")
        if len(r["keypoints"]) != 3 * num_keypoints or len(r["box"]) != 4:
            raise ValueError(f"record {j}: {len(r['keypoints'])} keypoint values, box of {len(r['box'])}")
        if not all(np.isfinite(r["keypoints"])) or not np.isfinite(r["score"]):
            raise ValueError(f"record {j}: non-finite values")


# OpenPose's 18-joint order, from COCO-17 indices; the neck (-1) is the mean of the shoulders.
_OPENPOSE_FROM_COCO = [0, -1, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3]


def openpose_people(poses: PoseSet) -> list[dict]:
    """`people` entries with pose_keypoints_2d in OpenPose's 18-joint order (body joints only)."""
    people = []
    for i in range(len(poses)):
        kp = np.concatenate([poses.keypoints[i, :17], poses.keypoint_scores[i, :17, None]], 1)
        neck = (kp[5] + kp[6]) / 2
        joints = np.stack([neck if j < 0 else kp[j] for j in _OPENPOSE_FROM_COCO])
        people.append({"pose_keypoints_2d": [float(v) for v in joints.reshape(-1)]})
    return people


def unwritable_reason(path: str | Path) -> str | None:
    """Why a file cannot be written at `path` (checked before a long run computes it), or None."""
    path = Path(path)
    if path.is_dir():
        return "it is a folder"
    if not path.parent.is_dir():
        return f"its folder {path.parent} does not exist"
    if not os.access(path.parent, os.W_OK):
        return f"its folder {path.parent} is not writable"
    return None


def write_json(path: str | Path, data: object) -> None:
    """Write JSON atomically (a temp file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        tmp.write_text(json.dumps(data))
        tmp.replace(path)
    except OSError as e:  # a full disk: no half-written temp file stays behind, the old file is untouched
        tmp.unlink(missing_ok=True)
        raise OSError(e.errno, f"cannot write {path}: {e.strerror or e}") from None
