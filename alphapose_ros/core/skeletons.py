"""Keypoint formats: ordered names, flip pairs, drawing links, OKS sigmas, part ranges.

The facts live in keypoint_formats.json next to this file; every other module asks
this one, so a format is defined in exactly one place.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

_DATA = Path(__file__).with_name("keypoint_formats.json")


@dataclass(frozen=True)
class KeypointFormat:
    """One keypoint layout. `id` equals the WholeBodyPoseArray format constant."""

    name: str
    id: int
    names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...]
    links: tuple[tuple[int, int], ...]  # drawing links; COCO-17 uses a virtual neck (index 17)
    oks_sigmas: np.ndarray | None
    parts: tuple[tuple[str, int, int], ...]  # (part name, start, end exclusive)

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    def real_links(self) -> tuple[tuple[int, int], ...]:
        """Links between real keypoints only: a virtual-neck link becomes shoulder links."""
        k = self.num_keypoints
        out: list[tuple[int, int]] = []
        for a, b in self.links:
            if a >= k or b >= k:
                other = b if a >= k else a
                # neck -> hip becomes the same-side shoulder -> hip (5/6 are the shoulders)
                shoulder = 5 if self.names[other].startswith("left") else 6
                out.append((shoulder, other))
            else:
                out.append((a, b))
        return tuple(out)

    def flip_permutation(self) -> np.ndarray:
        """Index array p such that keypoints[p] swaps every left/right pair."""
        perm = np.arange(self.num_keypoints)
        for a, b in self.flip_pairs:
            perm[a], perm[b] = b, a
        return perm

    def part_slice(self, part: str) -> slice:
        for name, start, end in self.parts:
            if name == part:
                return slice(start, end)
        raise KeyError(f"format {self.name!r} has no part {part!r}; parts: {[p[0] for p in self.parts]}")


@lru_cache(maxsize=None)
def _load() -> dict[str, KeypointFormat]:
    raw = json.loads(_DATA.read_text())["formats"]
    formats = {}
    for name, f in raw.items():
        formats[name] = KeypointFormat(
            name=name,
            id=int(f["id"]),
            names=tuple(f["names"]),
            flip_pairs=tuple((int(a), int(b)) for a, b in f["flip_pairs"]),
            links=tuple((int(a), int(b)) for a, b in f["links"]),
            oks_sigmas=None if f["oks_sigmas"] is None else np.asarray(f["oks_sigmas"], dtype=np.float64),
            parts=tuple((p, int(s), int(e)) for p, s, e in f["parts"]),
        )
    return formats


# Aliases users type (AlphaPose dataset preset names and keypoint counts).
_ALIASES = {
    "coco": "coco_17", "coco17": "coco_17", "17": "coco_17",
    "halpe26": "halpe_26", "halpe_26": "halpe_26", "26": "halpe_26",
    "halpe136": "halpe_136", "halpe_136": "halpe_136", "136": "halpe_136",
    "halpe_coco_wholebody_136": "halpe_136",
    "coco_wholebody": "coco_wholebody_133", "coco_wholebody133": "coco_wholebody_133", "133": "coco_wholebody_133",
    "halpe_68_noface": "halpe_68", "halpe68": "halpe_68", "68": "halpe_68",
    "single_hand": "hand_21", "hand21": "hand_21", "21": "hand_21",
}


def get_format(name: str | int) -> KeypointFormat:
    """Look a format up by name ("halpe_136"), alias ("coco_wholebody") or keypoint count (136)."""
    formats = _load()
    key = str(name).lower()
    key = _ALIASES.get(key, key)
    if key not in formats:
        raise KeyError(f"unknown keypoint format {name!r}; known: {sorted(formats)}")
    return formats[key]


def format_by_id(format_id: int) -> KeypointFormat:
    """Look a format up by its WholeBodyPoseArray constant."""
    for f in _load().values():
        if f.id == format_id:
            return f
    raise KeyError(f"unknown keypoint format id {format_id}")


# ROS4HRI's hri_msgs/Skeleton2D point order (OpenPose's 18-point COCO layout); "neck" is the format's own neck
# keypoint where it has one, else the middle of the shoulders
OPENPOSE_18 = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
               "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
               "left_eye", "right_eye", "left_ear", "right_ear")


def to_openpose_18(keypoints: np.ndarray, scores: np.ndarray, format_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(N,K,2) keypoints and (N,K) scores of a format -> (N,18,2) and (N,18) in OPENPOSE_18 order, by name;
    KeyError for a format without the body keypoints (hand_21)."""
    idx, shoulders = _openpose_18_index(format_name)
    xy = keypoints[:, idx].astype(np.float32)
    sc = scores[:, idx].astype(np.float32)
    if shoulders:  # no neck keypoint: the middle of the shoulders
        xy[:, 1] = keypoints[:, shoulders].mean(axis=1)
        sc[:, 1] = scores[:, shoulders].min(axis=1)
    return xy, sc


@lru_cache(maxsize=None)
def _openpose_18_index(format_name: str) -> tuple[list[int], list[int]]:
    """Per format, once: the index of each OPENPOSE_18 point, and the shoulders' when the neck is derived."""
    names = get_format(format_name).names
    missing = [n for n in OPENPOSE_18 if n not in names and n != "neck"]
    if missing:
        raise KeyError(f"format {format_name!r} has no {', '.join(missing[:3])}...: no body skeleton")
    idx = [names.index(n) if n in names else -1 for n in OPENPOSE_18]
    shoulders = [] if "neck" in names else [names.index("left_shoulder"), names.index("right_shoulder")]
    return idx, shoulders
