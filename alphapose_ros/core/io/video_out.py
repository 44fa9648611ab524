"""The annotated video the offline commands write: opened at the first frame's size; a later frame of
another size (a camera that changed resolution, a bag recorded from two cameras) is letterboxed into it,
said once, so every frame is kept (an MJPG writer silently drops frames of another size)."""
from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger("alphapose_ros.video")


def letterbox(image: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """`image` scaled with its aspect kept and centred on black in a frame of `size_wh`."""
    w, h = size_wh
    r = min(w / image.shape[1], h / image.shape[0])
    nw, nh = max(1, round(image.shape[1] * r)), max(1, round(image.shape[0] * r))
    out = np.zeros((h, w, 3), np.uint8)
    x, y = (w - nw) // 2, (h - nh) // 2
    out[y:y + nh, x:x + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


class AnnotatedVideo:
    """write(frame) for every frame; close() at the end (also as a context manager)."""

    def __init__(self, path: str | Path, fps: float = 25.0):
        self.path, self.fps = Path(path), fps
        self.size: tuple[int, int] | None = None
        self.frames = self.resized = 0
        self._writer = None

    def write(self, frame: np.ndarray) -> None:
        size = (frame.shape[1], frame.shape[0])
        if self._writer is None:
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"MJPG"), self.fps, size)
            if not self._writer.isOpened():
                raise OSError(f"cannot write the video {self.path}")
            self.size = size
        free = shutil.disk_usage(self.path.parent).free
        if free < frame.nbytes // 2:  # OpenCV's writer drops frames silently when the disk is full
            raise OSError(errno.ENOSPC, f"no space left for the video {self.path} ({free} bytes free) after "
                                        f"{self.frames} frames")
        if size != self.size:
            if not self.resized:
                log.warning("%s: frame %d is %dx%d, the video %dx%d: it and any others of another size are "
                            "letterboxed into the video", self.path.name, self.frames, *size, *self.size)
            self.resized += 1
            frame = letterbox(frame, self.size)
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
            if self.resized:
                log.warning("%s: %d of %d frames letterboxed (another frame size)", self.path.name, self.resized,
                            self.frames)

    def __enter__(self) -> "AnnotatedVideo":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
