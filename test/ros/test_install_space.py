"""colcon's install space holds the messages, the Python package, launch/, config/ and nodes."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros
REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / ".ws" / "install" / "alphapose_ros"


@pytest.fixture(scope="module")
def install_space(ros_msgs):
    if not INSTALL.is_dir():
        pytest.skip("no colcon install space at .ws/install (run `bash scripts/setup.sh`)")
    return INSTALL


def test_package_and_messages_import_from_install_space_alone(install_space, tmp_path):
    site = install_space / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    env = dict(os.environ)
    # Only the install space: drop the source tree from the path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                        if p and Path(p).resolve() != REPO)
    code = ("import alphapose_ros, alphapose_ros.msg as m, alphapose_ros.core.skeletons as s;"
            "assert all(p.startswith(%r) for p in alphapose_ros.__path__), alphapose_ros.__path__;"
            "m.WholeBodyPoseArray(); print(s.get_format('halpe_136').num_keypoints)" % str(site))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "136"


def test_share_holds_launch_config_models_and_interfaces(install_space):
    share = install_space / "share" / "alphapose_ros"
    for d in ("launch", "config", "models"):
        src = {p.name for p in (REPO / d).iterdir() if p.name != "__pycache__"}  # made by tests importing the launch file
        assert src and src <= {p.name for p in (share / d).iterdir()}, d
    assert (share / "msg" / "WholeBodyPoseArray.msg").is_file()
    assert (share / "package.xml").is_file()


def test_node_executables_installed_for_ros2_run(install_space):
    lib = install_space / "lib" / "alphapose_ros"
    for script in (REPO / "scripts" / "nodes").iterdir():
        target = lib / script.name
        assert target.is_file() and os.access(target, os.X_OK), target
