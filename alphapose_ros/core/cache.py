"""Where downloaded models and engine exports are kept: ~/.cache/alphapose_ros/models, or
$ALPHAPOSE_ROS_CACHE. A leaf module, so that anything may ask without importing the model zoo."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("ALPHAPOSE_ROS_CACHE", Path.home() / ".cache" / "alphapose_ros" / "models"))
