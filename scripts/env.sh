# Source this to use the set-up checkout: the venv, ROS 2 and the colcon install space.
# (bash) source scripts/env.sh
_ap_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "${ALPHAPOSE_ROS_VENV:-$HOME/.cache/alphapose_ros/venv}/bin/activate"
if [ -z "${ROS_DISTRO:-}" ]; then
  # ROS 2 from the PyPI wheels: the venv prefix is the underlay.
  export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
  export CMAKE_PREFIX_PATH="$VIRTUAL_ENV${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
fi
# shellcheck disable=SC1091
source "$_ap_root/.ws/install/setup.bash"
# The source tree first, so edits need no rebuild; alphapose_ros/__init__.py extends
# the package path to find the generated alphapose_ros.msg in the install space.
export PYTHONPATH="$_ap_root${PYTHONPATH:+:$PYTHONPATH}"
# The commands (alphapose-infer, alphapose-bag, ...), made by scripts/setup.sh.
export PATH="$_ap_root/.ws/bin:$PATH"
unset _ap_root
