#!/usr/bin/env bash
# Builds the libFuzzer targets of FacePrune's file readers (fuzz/CMakeLists.txt, clang) and runs them.
#   scripts/fuzz.sh --seconds 30              CI smoke: every target from its seed corpus for 30 s each
#   scripts/fuzz.sh --runs 1000000 [TARGET]   long runs: TARGET (e.g. fuzz_native_format) or every target
# Options: -j N build jobs (default 1), --build-dir DIR (default build-fuzz/), --no-build.
# One target runs at a time, in one process, under nice. Limits: -rss_limit_mb=2048
# -malloc_limit_mb=1024 -timeout=10. The seeds in tests/data/fuzz-corpus/<target>/ are only read; what a run
# learns goes to <build-dir>/corpus/<target>/ and what it finds to <build-dir>/crashes/<target>/,
# both outside the repository. Exits non-zero when a target found a crash, naming the target and
# the input file (a regression input then goes to tests/data/fuzz-regressions/<target>/).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
jobs=1
seconds=""
runs=""
only=""
do_build=1
targets=(fuzz_onnx_importer fuzz_faceapi_importer fuzz_native_format fuzz_pairs fuzz_history fuzz_gallery
         fuzz_image_input)

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    -j) jobs="$2"; shift 2 ;;
    -j*) jobs="${1#-j}"; shift ;;
    --build-dir) build="$(realpath -m "$2")"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help) usage 0 ;;
    fuzz_*) only="$1"; shift ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
if { [ -n "$seconds" ] && [ -n "$runs" ]; } || { [ -z "$seconds" ] && [ -z "$runs" ]; }; then
    echo "fuzz.sh: give either --seconds N or --runs N" >&2
    usage
fi
if [ -n "$only" ]; then
    printf '%s\n' "${targets[@]}" | grep -qx "$only" || { echo "fuzz.sh: no target '$only' (${targets[*]})" >&2; exit 2; }
    targets=("$only")
fi

if [ "$do_build" = 1 ]; then
    if [ ! -f "$build/CMakeCache.txt" ]; then
        generator=()
        command -v ninja >/dev/null && generator=(-G Ninja)
        cmake -S "$root/fuzz" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
    fi
    nice cmake --build "$build" -j "$jobs"
fi

# OpenCV logs every refused image; UBSan findings come with a stack (they abort: -fno-sanitize-recover).
export OPENCV_LOG_LEVEL=SILENT
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
budget=()
if [ -n "$seconds" ]; then budget=(-max_total_time="$seconds"); else budget=(-runs="$runs"); fi

failed=()
printf '%-24s %12s %9s  %s\n' target executions exec/s result
for t in "${targets[@]}"; do
    corpus="$build/corpus/$t"
    crashes="$build/crashes/$t"
    log="$build/logs/$t.log"
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    status=0
    (cd "$build" && nice "./$t" "$corpus" "$root/tests/data/fuzz-corpus/$t" "${budget[@]}" -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/") >"$log" 2>&1 ||
        status=$?
    executed="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    if [ "$status" = 0 ]; then
        result=ok
    else
        input="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
        kind="$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z -]+|runtime error: .{0,80}|fuzz: the reader threw [^:]*' "$log" || true)"
        result="FOUND ${kind:-exit status $status}: ${input:-(no input written, see $log)}"
        failed+=("$t")
    fi
    printf '%-24s %12s %9s  %s\n' "$t" "${executed:-?}" "${speed:-?}" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: ${failed[*]} found a crash (logs in $build/logs/)" >&2
    exit 1
fi
