"""Detections from a COCO detection-results JSON (AlphaPose's `--detfile`).

Records: {"image_id": name or int, "category_id": 1, "bbox": [x, y, w, h], "score": s}.
Lookup by image file name, or by the integer in it (COCO ids such as 000000000139.jpg).
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np


class DetectionFile:
    """Person boxes per image from a detection-results file."""

    def __init__(self, path: str | Path, min_score: float = 0.0, category_id: int | None = 1):
        try:
            records = json.loads(Path(path).read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: not a JSON detection file ({e})") from None
        if not isinstance(records, list):
            raise ValueError(f"{path}: expected a list of COCO detection records")
        self._boxes: dict[str, list[list[float]]] = defaultdict(list)
        for i, r in enumerate(records):
            if not isinstance(r, dict):
                raise ValueError(f"{path}: record {i} is not a detection (a {type(r).__name__}, not a mapping)")
            try:
                if category_id is not None and int(r.get("category_id", 1)) != category_id:
                    continue
                x, y, w, h = (float(v) for v in r["bbox"])
                s = float(r.get("score", 1.0))
                key = str(r["image_id"])
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f"{path}: record {i} is not a detection ({e})") from None
            if s >= min_score and w > 0 and h > 0:
                self._boxes[key].append([x, y, x + w, y + h, s])

    def boxes_for(self, image_name: str) -> tuple[np.ndarray, np.ndarray]:
        """(boxes (N,4) xyxy, scores (N,)) for an image name; empty when none are listed."""
        rows = self._boxes.get(image_name)
        if rows is None:
            m = re.search(r"(\d+)", Path(image_name).stem)
            rows = self._boxes.get(str(int(m.group(1)))) if m else None
        a = np.asarray(rows or np.zeros((0, 5)), np.float32).reshape(-1, 5)
        return a[:, :4], a[:, 4]
