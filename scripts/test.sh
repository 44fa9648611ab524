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
