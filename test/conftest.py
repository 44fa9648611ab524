"""Shared fixtures: where the reference material is, and clean skips when it is not."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI and developers have the AlphaPose reference material beside the clone.
SHARED = Path(os.environ.get("ALPHAPOSE_ROS_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def reference() -> Path:
    """../shared/reference, or a skip that says why (it holds the official test vectors)."""
    if not (REFERENCE / "vectors").is_dir():
        pytest.skip(f"AlphaPose reference vectors not found at {REFERENCE} "
                    "(set ALPHAPOSE_ROS_SHARED to the folder holding reference/)")
    return REFERENCE


@pytest.fixture(scope="session")
def ros_msgs():
    """The generated messages; a skip naming the set-up step when they are not built."""
    try:
        import alphapose_ros.msg as msgs  # noqa: F401
        import rclpy  # noqa: F401
    except ImportError as e:  # pragma: no cover - only without scripts/setup.sh
        pytest.skip(f"ROS 2 messages not importable ({e}); run `bash scripts/setup.sh` "
                    "and `source scripts/env.sh`")
    return msgs


@pytest.fixture()
def ros_context(ros_msgs):
    """A private rclpy context (with vision_msgs built) for node tests, shut down afterwards."""
    pytest.importorskip("vision_msgs.msg", reason="vision_msgs not built (needs ../shared/interfaces)")
    import rclpy

    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    yield ctx
    rclpy.try_shutdown(context=ctx)


FOOTAGE = Path(os.environ.get("ALPHAPOSE_ROS_FOOTAGE", "/usr/share/doc/opencv-doc/examples/data"))


@pytest.fixture(scope="session")
def footage() -> Path:
    """Debian opencv-doc's real footage (vtest.avi, basketball1.png, messi5.jpg)."""
    if not (FOOTAGE / "vtest.avi").is_file():
        pytest.skip(f"real footage not found in {FOOTAGE}: scripts/setup.sh installs Debian's opencv-doc "
                    "when run as root with apt; or set ALPHAPOSE_ROS_FOOTAGE")
    return FOOTAGE


@pytest.fixture(scope="session")
def mediapipe_models() -> Path:
    """The MediaPipe .tflite files, fetched by scripts/setup.sh from the PyPI wheel."""
    from alphapose_ros.core.mediapipe.assets import missing, model_dir

    if missing():
        pytest.skip(f"MediaPipe models not in {model_dir()} (scripts/setup.sh fetches them from PyPI; "
                    "offline set-up?): run python -m alphapose_ros.cli.download mediapipe")
    pytest.importorskip("ai_edge_litert", reason="ai-edge-litert (requirements/core.txt) is not installed")
    return model_dir()
