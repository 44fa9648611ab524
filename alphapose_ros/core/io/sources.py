"""Frames from an image, a folder of images, a text list of images, or a video file.

Each frame comes with the name AlphaPose uses as its image_id: the image file name,
or "<frame index>.jpg" for video frames (as AlphaPose's video loader names them).
Unreadable images are logged and skipped, never fatal.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg"}


def iter_frames(source: str | Path) -> Iterator[tuple[str, np.ndarray]]:
    """(name, BGR uint8 image) for every readable frame of `source`."""
    src = Path(source)
    if src.is_dir():
        paths = sorted(p for p in src.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        yield from _images(paths)
    elif src.suffix.lower() in VIDEO_SUFFIXES:
        yield from _video(src)
    elif src.suffix.lower() == ".txt":
        lines = [ln.strip() for ln in src.read_text().splitlines() if ln.strip()]
        yield from _images([Path(ln) if Path(ln).is_absolute() else src.parent / ln for ln in lines])
    elif src.is_file():
        yield from _images([src])
    else:
        raise FileNotFoundError(f"input not found: {src}")


def check_source(source: str | Path) -> None:
    """Raise OSError naming `source` when it cannot give a frame: missing, a video that does not open, a
    folder without images, an unreadable list. Run before anything is loaded or written."""
    src = Path(source)
    if not src.exists():
        raise OSError(f"--input {src}: no such file or folder")
    if src.is_dir():
        if not any(p.suffix.lower() in IMAGE_SUFFIXES for p in src.iterdir()):
            raise OSError(f"--input {src}: the folder holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    elif src.suffix.lower() in VIDEO_SUFFIXES:
        cap = cv2.VideoCapture(str(src))
        ok = cap.isOpened()
        cap.release()
        if not ok:
            raise OSError(f"--input {src}: the video cannot be opened")
    elif src.suffix.lower() == ".txt":
        try:
            src.read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise OSError(f"--input {src}: the image list cannot be read ({e})") from None


def _images(paths: list[Path]) -> Iterator[tuple[str, np.ndarray]]:
    for p in paths:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is None or img.size == 0:
            log.warning("skipping unreadable image %s", p)
            continue
        yield p.name, img


def _video(path: Path) -> Iterator[tuple[str, np.ndarray]]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise OSError(f"cannot open video {path}")
    i = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield f"{i}.jpg", frame
            i += 1
    finally:
        cap.release()


def source_fps(source: str | Path, default: float = 30.0) -> float:
    """Frame rate of a video source; image inputs count as consecutive frames at `default`
    (the rate AlphaPose's tracker assumes), so trackers get times in seconds."""
    src = Path(source)
    if src.suffix.lower() in VIDEO_SUFFIXES and src.is_file():
        cap = cv2.VideoCapture(str(src))
        fps = cap.get(cv2.CAP_PROP_FPS) if cap.isOpened() else 0.0
        cap.release()
        if fps and np.isfinite(fps) and fps > 0:
            return float(fps)
    return default
