"""The crop-tracking flags alphapose-infer and alphapose-bag share (core.crop_tracking)."""
from __future__ import annotations

import argparse

from alphapose_ros.core.crop_tracking import CropTracker, CropTrackingSettings


def add_arguments(ap: argparse.ArgumentParser) -> None:
    d = CropTrackingSettings()
    ap.add_argument("--crop-tracking", action=argparse.BooleanOptionalAction, default=True,
                    help="videos and bags (default on): follow each person's crop from their last pose and run "
                         "the detector only every --detect-every frames and when someone is lost (finds more "
                         "people, faster); --no-crop-tracking: the detector on every frame and a pose per box")
    ap.add_argument("--detect-every", type=_positive, default=d.detect_every,
                    help="crop tracking: frames between detector runs (also at once when someone is lost)")


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def crop_tracker(a: argparse.Namespace, video: bool) -> CropTracker | None:
    """A crop tracker for a stream of frames (videos, bags), None for still images or when switched off."""
    if not (a.crop_tracking and video):
        return None
    return CropTracker(CropTrackingSettings(detect_every=a.detect_every))
