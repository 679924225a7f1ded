#!/usr/bin/env bash
# Seeds the fuzz corpora from the bundled fixtures (small files only, so each run is quick).
# The pipeline target reads a mode byte first: 0 = strict, 1 = --partial.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/pipeline fuzz/corpus/profile
n=0
while IFS= read -r -d '' f; do
  [ "$(stat -c %s "$f")" -le 300000 ] || continue
  for mode in 0 1; do
    { printf "\\x0$mode"; cat "$f"; } > "fuzz/corpus/pipeline/$(basename "$f").$mode"
  done
  n=$((n + 1))
done < <(find fixtures -name '*.har' -print0)
cp fixtures/lab/*.profile.toml fuzz/corpus/profile/ 2>/dev/null || true
cp src/profiles/builtin/*.toml fuzz/corpus/profile/ 2>/dev/null || true
echo "seeded $n captures, $(ls fuzz/corpus/profile | wc -l) profiles"
