#!/usr/bin/env bash
# Runs a fuzz target for a while (needs `cargo install cargo-fuzz` and a nightly toolchain).
#   scripts/fuzz.sh pipeline 3600   # target (pipeline, profile, dialects), seconds
# The corpus is seeded from the fixtures on first use; crashes land in fuzz/artifacts/<target>/
# and belong in fixtures/bad/ with a regression test once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-pipeline}"
seconds="${2:-600}"
[ -d "fuzz/corpus/$target" ] || scripts/fuzz-seed.sh
dict=()
[ -f "fuzz/$target.dict" ] && dict=(-dict="$PWD/fuzz/$target.dict")
exec cargo +nightly fuzz run "$target" -- "${dict[@]}" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=131072 -print_final_stats=1
