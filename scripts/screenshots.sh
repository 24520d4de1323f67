#!/usr/bin/env bash
# Runs the real workbench under Xvfb: opens MobileFaceNet, prunes 2 iterations on
# $FACEPRUNE_DATA (16 people), then saves a picture of every view (window, graph,
# layer table, panel, log, each plot tab, the Compare and Sensitivity tabs, the checkpoints timeline,
# export dialog, the live-faces tab on the
# demo video with the faces shown enrolled) into OUT_DIR, with the run's report.html.
#   scripts/screenshots.sh [OUT_DIR]      (default: build/screenshots)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FACEPRUNE_BUILD_DIR:-$root/build}"
out="${1:-$build/screenshots}"
export FACEPRUNE_DATA="${FACEPRUNE_DATA:-$root/../shared/data/lfw-ids}"
[ -d "$FACEPRUNE_DATA" ] || { echo "screenshots: no face folders at $FACEPRUNE_DATA (set FACEPRUNE_DATA)" >&2; exit 1; }
[ -x "$build/app/gui/faceprune" ] || { echo "screenshots: build faceprune first ($build/app/gui/faceprune)" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*.png
# A throw-away settings folder: the pictures show the default layout, not the user's.
export XDG_CONFIG_HOME="$(mktemp -d)"
# ... and the live tab's gallery (the faces it enrols) goes with it, not into the user's.
export XDG_DATA_HOME="$XDG_CONFIG_HOME/data"
trap 'rm -rf "$XDG_CONFIG_HOME"' EXIT
xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/app/gui/faceprune" mobilefacenet --screenshots "$out" --limit 16 --iterations 2
ls -1 "$out"/*.png
