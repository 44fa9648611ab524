"""Detections from a COCO detection-results JSON (AlphaPose's `--detfile`).

Records: {"image_id": name or int, "category_id": 1, "bbox": [x, y, w, h], "score": s}.
Lookup by image file name, or by the integer in it (COCO ids such as 000000000139.jpg).
"""
from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from pathlib import Path

import numpy as np


log = logging.getLogger("alphapose_ros.detfile")
MAX_LINES = 20  # bad records named one per line up to this many, then counted


class DetectionFile:
    """Person boxes per image from a detection-results file.

    A record that is not a mapping makes the file unusable (ValueError naming it); a mapping with a bad
    field (a bbox that is not 4 numbers, true/false where a number belongs, an image_id that is neither a
    name nor a whole number) is skipped with one line saying why, and counted in `bad_records`."""

    def __init__(self, path: str | Path, min_score: float = 0.0, category_id: int | None = 1):
        try:
            records = json.loads(Path(path).read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: not a JSON detection file ({e})") from None
        except RecursionError:
            raise ValueError(f"{path}: not a detection file (JSON nested too deeply)") from None
        if not isinstance(records, list):
            raise ValueError(f"{path}: expected a list of COCO detection records")
        self.path = Path(path)
        self._boxes: dict[str, list[list[float]]] = defaultdict(list)
        self._used: set[str] = set()
        self.bad_records = 0
        for i, r in enumerate(records):
            if not isinstance(r, dict):
                raise ValueError(f"{path}: record {i} is not a detection (a {type(r).__name__}, not a mapping)")
            try:
                if category_id is not None and _number(r.get("category_id", 1), "category_id") != category_id:
                    continue
                x, y, w, h = _bbox(r)
                s = _number(r.get("score", 1.0), "score")
                key = _image_key(r)
            except ValueError as e:
                self.bad_records += 1
                if self.bad_records <= MAX_LINES:
                    log.warning("%s: record %d skipped: %s", path, i, e)
                continue
            if s >= min_score and w > 0 and h > 0:
                self._boxes[key].append([x, y, x + w, y + h, s])
        if self.bad_records:
            log.warning("%s: %d of %d records skipped as malformed%s", path, self.bad_records, len(records),
                        f" (the first {MAX_LINES} named above)" if self.bad_records > MAX_LINES else "")

    def boxes_for(self, image_name: str) -> tuple[np.ndarray, np.ndarray]:
        """(boxes (N,4) xyxy, scores (N,)) for an image name; empty when none are listed."""
        key = image_name
        rows = self._boxes.get(key)
        if rows is None:
            m = re.search(r"(\d+)", Path(image_name).stem)
            key = str(int(m.group(1))) if m else ""
            rows = self._boxes.get(key)
        if rows is not None:
            self._used.add(key)
        a = np.asarray(rows or np.zeros((0, 5)), np.float32).reshape(-1, 5)
        return a[:, :4], a[:, 4]

    def unused_images(self) -> list[str]:
        """Image ids with boxes that no looked-up image matched (a detfile for other images, or ids of
        another form): what the caller should say once at the end."""
        return sorted(set(self._boxes) - self._used)


def _number(value, name: str) -> float:
    """A JSON number (true/false are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError(f"{name} {value!r} is not a number")
    return float(value)


def _bbox(record: dict) -> tuple[float, float, float, float]:
    box = record.get("bbox")
    if not isinstance(box, list) or len(box) != 4:
        raise ValueError(f"bbox {box!r} is not a list of 4 numbers [x, y, w, h]")
    x, y, w, h = (_number(v, "a bbox value") for v in box)
    return x, y, w, h


def _image_key(record: dict) -> str:
    """image_id as the lookup key: a file name, or a COCO id (a whole number, 139 or 139.0)."""
    v = record.get("image_id")
    if isinstance(v, str) and v:
        return v
    if not isinstance(v, bool) and isinstance(v, (int, float)) and np.isfinite(v) and v == int(v):
        return str(int(v))
    raise ValueError(f"image_id {v!r} is neither an image name nor a whole number")
