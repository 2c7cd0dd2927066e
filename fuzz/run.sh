#!/usr/bin/env bash
# make fuzz: runs the libFuzzer target for FUZZ_SECONDS (default 60) from the seed corpus of real vaults
# (the format vectors); new inputs it finds go to .build-fuzz/corpus, crashes to .build-fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
./fuzz/build.sh >/dev/null 2>&1 || ./fuzz/build.sh
mkdir -p .build-fuzz/corpus
ASAN_OPTIONS=detect_leaks=0 .build-fuzz/fuzz-vault -max_total_time="${FUZZ_SECONDS:-60}" -timeout=10 \
    -artifact_prefix=.build-fuzz/ -print_final_stats=1 .build-fuzz/corpus fuzz/corpus 2>&1 | tail -20
