#!/usr/bin/env bash
# Builds FacePrune with AddressSanitizer + UndefinedBehaviorSanitizer (-DFACEPRUNE_SANITIZE=ON, no GUI)
# in build-asan/ and runs the engine tests under it: graph, executor, readers and writers, faces,
# data, pruning, training, the live pipeline. Any finding fails its test.
#   scripts/sanitize.sh [-R REGEX]   (-R: only the engine tests whose name matches)
# The set-up of scripts/setup.sh (packages, assets) must have run once. Minutes: the build is a
# second full build of the engine, and the tests run about twice as slowly as usual.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FACEPRUNE_ASAN_BUILD_DIR:-$root/build-asan}"
only=""
while [ $# -gt 0 ]; do
    case "$1" in
    -R) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sanitize.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

engine_tests=(tst_graph tst_executor tst_direct_conv tst_native_format tst_onnx_importer tst_fuzz_regressions
              tst_faceapi_importer tst_faces tst_face_folders tst_pairs tst_verification_metrics tst_aligned_cache
              tst_batch_loader tst_face_augment tst_verifier tst_onnx_exporter tst_zoo tst_surgery tst_scorer
              tst_prune_run tst_recovery tst_sensitivity tst_losses tst_trainer tst_finetune_recovery
              tst_feature_distill tst_split_batch tst_live_pipeline tst_crash_safety tst_cli)
# Not tst_distill_squeezenet: its 800 training steps outlast ctest's 25-minute limit under ASan (the
# same trainer runs under it in tst_trainer, tst_finetune_recovery and tst_feature_distill).

if [ ! -f "$build/CMakeCache.txt" ]; then
    # -O1: the sanitizers' own advice, and a build that takes half the time of -O2.
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DFACEPRUNE_SANITIZE=ON -DFACEPRUNE_BUILD_GUI=OFF
fi
nice cmake --build "$build" -j "$(nproc)" --target faceprune-cli "${engine_tests[@]}"

# LibTorch and protobuf keep process-lifetime allocations that LeakSanitizer would report as leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
export FACEPRUNE_DATA="${FACEPRUNE_DATA:-$root/../shared/data/lfw-ids}"
regex="^($(IFS='|'; echo "${engine_tests[*]}"))\$"
if [ -n "$only" ]; then
    selected=()
    for t in "${engine_tests[@]}"; do [[ "$t" =~ $only ]] && selected+=("$t"); done
    [ ${#selected[@]} -gt 0 ] || { echo "sanitize.sh: no engine test matches '$only'" >&2; exit 2; }
    regex="^($(IFS='|'; echo "${selected[*]}"))\$"
fi
ctest --test-dir "$build" --output-on-failure --timeout 3000 -R "$regex"
