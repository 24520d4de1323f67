#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (see README.md):
#   scripts/setup.sh run    install, build, launch the workbench on MobileFaceNet
#   scripts/setup.sh test   install, build, run the whole test suite (ctest)
#   scripts/setup.sh build  install and build only
# Every step is skipped when already done: packages present, assets verified,
# node modules installed, incremental build through ccache.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FACEPRUNE_BUILD_DIR:-$root/build}"
mode="${1:-build}"

packages=(
    build-essential cmake ninja-build ccache pkg-config dpkg-dev file
    qt6-base-dev qt6-base-dev-tools qt6-qpa-plugins qt6-multimedia-dev qt6-svg-dev
    libqcustomplot-dev libqcustomplot2.1-qt6 libgraphviz-dev
    libtorch-dev libdnnl-dev libopenblas0 libopencv-dev libonnx-dev libprotobuf-dev protobuf-compiler
    libgloo-dev  # distributed runs: LibTorch's c10d Gloo group needs Gloo's headers and library
    libcli11-dev nlohmann-json3-dev
    python3-torch python3-torchvision python3-onnx python3-numpy
    xvfb xauth
    clang libclang-rt-14-dev llvm  # scripts/fuzz.sh: libFuzzer, and llvm-symbolizer for its reports
)

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    # Node.js may come from elsewhere (nodesource); only ask apt when npm is absent.
    command -v npm >/dev/null || missing+=(nodejs npm)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

install_node_tools() {
    # Small Node programs the tests use as independent runtimes (ONNX Runtime).
    # --ignore-scripts: post-install steps download from hosts this setup cannot reach.
    for dir in "$root"/scripts/*/; do
        [ -f "$dir/package-lock.json" ] || continue
        case "$dir" in *faceapi-reference*) continue ;; esac  # only to regenerate test data
        if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
            echo "setup: npm ci in ${dir#$root/}"
            (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules)
        fi
    done
}

build_project() {
    if [ ! -f "$build/CMakeCache.txt" ]; then
        cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
    fi
    cmake --build "$build" -j "$(nproc)"
}

install_packages
"$root/scripts/fetch-assets.sh"
install_node_tools
build_project

case "$mode" in
build) ;;
test)
    export FACEPRUNE_DATA="${FACEPRUNE_DATA:-$root/../shared/data/lfw-ids}"
    [ -d "$FACEPRUNE_DATA" ] || echo "setup: FACEPRUNE_DATA=$FACEPRUNE_DATA does not exist; data tests will skip (or fail, with FACEPRUNE_REQUIRE_DATA=1)"
    ctest --test-dir "$build" --output-on-failure --timeout 1200
    # A smoke of every file reader's fuzz target from the seed corpus (tests/data/fuzz-corpus/); long runs: scripts/fuzz.sh --runs.
    "$root/scripts/fuzz.sh" --seconds "${FACEPRUNE_FUZZ_SECONDS:-30}" -j "$(nproc)"
    ;;
run)
    export FACEPRUNE_DATA="${FACEPRUNE_DATA:-$root/../shared/data/lfw-ids}"
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        echo "setup: no display; starting the workbench under xvfb-run"
        exec xvfb-run -a "$build/app/gui/faceprune" mobilefacenet
    fi
    exec "$build/app/gui/faceprune" mobilefacenet
    ;;
*)
    echo "usage: scripts/setup.sh run|test|build" >&2
    exit 2
    ;;
esac
