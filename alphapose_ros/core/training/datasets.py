"""COCO-format keypoint datasets: writing the ones made here, reading any of them into a
target keypoint format, and mixing several at fixed ratios (the distillation recipe).

A dataset is a folder with `annotations.json` (COCO: images, annotations with flat
x,y,v keypoints, categories) and the image files. Keypoints are mapped between formats by
name; keypoints the source does not have are unlabelled (v=0), so they carry no loss.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from alphapose_ros.core.io.results import write_json
from alphapose_ros.core.skeletons import KeypointFormat, get_format


def keypoint_map(src: KeypointFormat, dst: KeypointFormat) -> np.ndarray:
    """(K_dst,) index into the source keypoints for each target keypoint, -1 where the source
    has no keypoint of that name (COCO-WholeBody's feet and Halpe's share names, not order)."""
    where = {n: i for i, n in enumerate(src.names)}
    return np.array([where.get(n, -1) for n in dst.names], np.int64)


def map_keypoints(kps: np.ndarray, src: KeypointFormat, dst: KeypointFormat) -> np.ndarray:
    """(N,K_src,3) x,y,v -> (N,K_dst,3); keypoints missing from the source get v=0."""
    idx = keypoint_map(src, dst)
    out = np.zeros((len(kps), dst.num_keypoints, 3), np.float32)
    have = idx >= 0
    out[:, have] = kps[:, idx[have]]
    return out


def coco_document(images: list[dict], annotations: list[dict], fmt: KeypointFormat) -> dict:
    """A COCO keypoint ground-truth document for one keypoint format."""
    return {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "person", "supercategory": "person", "keypoints": list(fmt.names),
                            "skeleton": [[a + 1, b + 1] for a, b in fmt.real_links()]}],
            "info": {"keypoint_format": fmt.name}}


PART_ONLY = ("body", "face", "hands")  # what a part-only dataset (alphapose-make-data --only-part) labels


def only_part(people: list[dict], fmt: KeypointFormat, part: str) -> list[dict]:
    """The people as a dataset labelled for one part would have them (the paper's 300W faces, FreiHand
    hands): "body" keeps the body and feet keypoints and the person box; "face" keeps the face keypoints
    with their tight box; "hands" makes one annotation per hand with its tight box. Parts with fewer
    than 5 labelled keypoints are left out."""
    ranges = {name: (s, e) for name, s, e in fmt.parts}
    if part == "body":
        groups = [[r for n in ("body", "foot") if n in ranges for r in range(*ranges[n])]]
    elif part == "face":
        groups = [list(range(*ranges["face"]))]
    elif part == "hands":
        groups = [list(range(*ranges[h])) for h in ("left_hand", "right_hand")]
    else:
        raise ValueError(f"part {part!r}: one of {', '.join(PART_ONLY)}")
    out = []
    for p in people:
        k = np.asarray(p["keypoints"], np.float64)
        for idx in groups:
            kept = np.zeros_like(k)
            kept[idx] = k[idx]
            lab = kept[kept[:, 2] > 0]
            if len(lab) < 5:
                continue
            if part == "body":
                box = list(p["bbox"])
            else:
                (x1, y1), (x2, y2) = lab[:, :2].min(0), lab[:, :2].max(0)
                box = [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]
            out.append({"keypoints": kept, "bbox": box, "area": float(max(box[2] * box[3], 1.0))})
    return out


class DatasetWriter:
    """Write images and their people into a COCO-format dataset folder."""

    def __init__(self, folder: str | Path, fmt: KeypointFormat, description: str = ""):
        self.folder, self.fmt, self.description = Path(folder), fmt, description
        (self.folder / "images").mkdir(parents=True, exist_ok=True)
        self.images: list[dict] = []
        self.annotations: list[dict] = []

    def add(self, image_bgr: np.ndarray, people: list[dict]) -> None:
        """people: [{"keypoints": (K,3) x,y,v, "bbox": [x,y,w,h], "area": float, "identity": int (optional)}]."""
        image_id = len(self.images) + 1
        name = f"{image_id:06d}.jpg"
        cv2.imwrite(str(self.folder / "images" / name), image_bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
        h, w = image_bgr.shape[:2]
        self.images.append({"id": image_id, "file_name": name, "width": w, "height": h})
        for p in people:
            kp = np.asarray(p["keypoints"], np.float64)
            kp[kp[:, 2] == 0, :2] = 0.0  # COCO convention: unlabelled keypoints are (0, 0, 0)
            self.annotations.append({"id": len(self.annotations) + 1, "image_id": image_id, "category_id": 1,
                                     "keypoints": [round(float(v), 2) for v in kp.reshape(-1)],
                                     "num_keypoints": int((kp[:, 2] > 0).sum()),
                                     "bbox": [round(float(v), 2) for v in p["bbox"]],
                                     "area": float(p["area"]), "iscrowd": 0,
                                     **({"identity": int(p["identity"])} if "identity" in p else {})})

    def close(self) -> Path:
        doc = coco_document(self.images, self.annotations, self.fmt)
        doc["info"]["description"] = self.description
        path = self.folder / "annotations.json"
        write_json(path, doc)
        return path


@dataclass
class Sample:
    image_path: Path
    keypoints: np.ndarray  # (K,3) in the target format
    box: np.ndarray        # (4,) x1,y1,x2,y2 ground-truth box
    image_id: int
    identity: int = -1     # the person's identity across images (re-ID training), -1 when unknown


class KeypointDataset:
    """The people of a COCO-format dataset folder, keypoints mapped into `target` format."""

    def __init__(self, folder: str | Path, target: KeypointFormat | str, min_keypoints: int = 1):
        self.folder = Path(folder)
        self.target = get_format(target) if isinstance(target, str) else target
        doc = json.loads((self.folder / "annotations.json").read_text())
        src_name = doc.get("info", {}).get("keypoint_format")
        self.source = get_format(src_name) if src_name else get_format(len(doc["annotations"][0]["keypoints"]) // 3)
        self.doc = doc
        files = {im["id"]: im["file_name"] for im in doc["images"]}
        anns = doc["annotations"]
        kps = np.array([a["keypoints"] for a in anns], np.float32).reshape(len(anns), -1, 3)
        self.mapped = map_keypoints(kps, self.source, self.target)  # every annotation, target format
        self.samples = []
        for a, k in zip(anns, self.mapped):
            if a.get("iscrowd") or (k[:, 2] > 0).sum() < min_keypoints:
                continue
            x, y, w, h = a["bbox"]
            self.samples.append(Sample(self.folder / "images" / files[a["image_id"]], k,
                                       np.array([x, y, x + w, y + h], np.float32), a["image_id"],
                                       int(a.get("identity", -1))))

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def num_identities(self) -> int:
        """1 + the largest identity labelled (0: a pose-only dataset)."""
        return max((s.identity for s in self.samples), default=-1) + 1

    def ground_truth(self) -> dict:
        """The dataset's COCO document with keypoints in the target format (for evaluation)."""
        anns = [{**a, "keypoints": [float(v) for v in k.reshape(-1)], "num_keypoints": int((k[:, 2] > 0).sum())}
                for a, k in zip(self.doc["annotations"], self.mapped)]
        return coco_document(self.doc["images"], anns, self.target)


class MixedBatches:
    """Batches drawn from several datasets at fixed ratios; batch `step` depends only on
    (seed, step), so a resumed run sees exactly the batches an uninterrupted one would."""

    def __init__(self, sizes: list[int], ratios: list[float], batch_size: int, seed: int = 0):
        if len(sizes) != len(ratios) or not sizes or min(sizes) < 1:
            raise ValueError("one non-empty dataset per ratio is needed")
        r = np.asarray(ratios, np.float64) / np.sum(ratios)
        counts = np.floor(r * batch_size).astype(int)
        counts[np.argmax(r)] += batch_size - counts.sum()  # the largest share takes the remainder
        self.sizes, self.counts, self.seed = sizes, counts, seed

    def batch(self, step: int) -> list[tuple[int, int, int]]:
        """[(dataset, sample index, augmentation seed)] for training step `step`."""
        rng = np.random.default_rng([self.seed, step])
        out = []
        for d, (n, c) in enumerate(zip(self.sizes, self.counts)):
            for i in rng.integers(0, n, c):
                out.append((d, int(i), int(rng.integers(2 ** 31))))
        return out
