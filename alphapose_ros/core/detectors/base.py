"""The one interface every person detector has."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class Detections:
    """Boxes (N,4) x1,y1,x2,y2 in image pixels, scores (N,), class ids (N,) (0 = person)."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    @classmethod
    def empty(cls) -> "Detections":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.boxes)


class Detector(Protocol):
    """Images in (BGR uint8, as OpenCV reads them), one Detections per image out."""

    name: str

    def detect(self, images_bgr: list[np.ndarray]) -> list[Detections]:
        ...
