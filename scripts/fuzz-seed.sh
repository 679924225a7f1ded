#!/usr/bin/env bash
# Seeds the fuzz corpora from the bundled fixtures (small files only, so each run is quick).
# The pipeline target reads a mode byte first: 0 = strict, 1 = --partial. The serverlog target
# reads one too: 0 = recognise the format, 11 = the first line is a --server-log-format value.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/pipeline fuzz/corpus/profile fuzz/corpus/serverlog
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
for f in fixtures/serverlogs/*.log fixtures/serverlogs/*.jsonl fixtures/serverlogs/*.json; do
  { printf '\x00'; head -c 60000 "$f"; } > "fuzz/corpus/serverlog/$(basename "$f").auto"
done
for name in nginx-ratelimit nginx-json apache-combined-D; do
  { printf '\x0b'; tr '\n' ' ' < "fixtures/serverlogs/$name.conf"; printf '\n'
    head -c 60000 "fixtures/serverlogs/$name.log"; } > "fuzz/corpus/serverlog/$name.format"
done
cp fixtures/bad/serverlog-* fuzz/corpus/serverlog/ 2>/dev/null || true
echo "seeded $n captures, $(ls fuzz/corpus/profile | wc -l) profiles, $(ls fuzz/corpus/serverlog | wc -l) server logs"
