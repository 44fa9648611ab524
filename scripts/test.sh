#!/usr/bin/env bash
# The test command: set the checkout up (idempotent), then run the test suite.
#   bash scripts/test.sh            fast unit + integration tests
#   bash scripts/test.sh --slow     also the long runs (soak, training, full benchmarks)
#   extra arguments go to pytest, e.g. bash scripts/test.sh -k pose_nms
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start=$(date +%s)
bash "$ROOT/scripts/setup.sh"
set +u
# shellcheck disable=SC1091
source "$ROOT/scripts/env.sh"
# The upstream ROS 2 launch tools and message_filters, where the system has none (ROS 2 from PyPI
# wheels) and they sit beside the clone (the project's CI: ../shared/ros-python). Tests that need them
# skip without them.
tools="${ALPHAPOSE_ROS_SHARED:-$ROOT/../shared}/ros-python"
if ! python -c "import launch_ros, message_filters" 2>/dev/null && [ -f "$tools/install.sh" ]; then
  target="${ALPHAPOSE_ROS_TOOLS:-$HOME/.cache/alphapose_ros/ros-python}"
  bash "$tools/install.sh" "$target" | sed 's/^/[test] /'
  source "$target/setup.bash"
fi
set -u
args=()
for a in "$@"; do
  if [ "$a" = "--slow" ]; then args+=(-m ""); else args+=("$a"); fi
done
cd "$ROOT"
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
set +e
python -m pytest "${args[@]}"
rc=$?
set -e
echo "[test] finished in $(( $(date +%s) - start )) s (set-up included), pytest exit $rc"
exit $rc
