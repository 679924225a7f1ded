#!/usr/bin/env bash
# Regenerates the example reports in reports/ from reports/reports.txt.
# Fingerprints use a fixed key so the files only change when the analysis does.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
export WHY429_FINGERPRINT_KEY=why429-example-reports
grep -v '^\s*#' reports/reports.txt | grep -v '^\s*$' | while read -r name args; do
  rm -rf "reports/$name"
  # shellcheck disable=SC2086
  ./target/release/why429 analyze $args --out "reports/$name" >/dev/null
  echo "reports/$name"
done
