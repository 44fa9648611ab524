"""Where downloaded models and engine exports are kept (~/.cache/alphapose_ros/models, or
$ALPHAPOSE_ROS_CACHE) and how a file there is identified (its sha256). A leaf module, so that anything
may ask without importing the model zoo."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("ALPHAPOSE_ROS_CACHE", Path.home() / ".cache" / "alphapose_ros" / "models"))


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
