#!/usr/bin/env bash
# Records every scenario of a scenarios folder into an output folder, then checks
# the captures with verify.py.
#
#   bash run_all.sh [SCENARIOS_DIR [OUT_DIR]] [record.mjs flags ...]
#
# SCENARIOS_DIR defaults to fixtures/lab/scenarios/ of the repository and OUT_DIR to
# captures/ next to this script; relative paths are taken from the directory you run it in.  Flags such
# as --only a,b  --no-cdp  --content omit  go to record.mjs.  Before recording,
# the old outputs of exactly the scenarios about to be recorded are deleted
# (nothing else in OUT_DIR is touched), and verify.py then checks every capture
# in OUT_DIR.  Scenarios run one after another, each in real time.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SCEN="$(cd "$HERE/../.." && pwd)/fixtures/lab/scenarios"
OUT="$HERE/captures"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then SCEN="$(realpath -m -- "$1")"; shift; fi
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then OUT="$(realpath -m -- "$1")"; shift; fi
[ -d "$SCEN" ] || { echo "no scenarios folder: $SCEN" >&2; exit 2; }
cd "$HERE"
[ -d node_modules/playwright-core ] && [ -d node_modules/chrome-har ] || bash setup.sh
[ -x /usr/bin/chromium ] || bash setup.sh
mkdir -p "$OUT"

# which scenarios will be recorded (same --only rule as record.mjs)
ONLY=""
prev=""
for a in "$@"; do
  [ "$prev" = "--only" ] && ONLY="$a"
  prev="$a"
done
for f in "$SCEN"/*.json; do
  s="$(basename "$f" .json)"
  if [ -n "$ONLY" ]; then
    keep=0
    IFS=',' read -ra items <<< "$ONLY"
    for o in "${items[@]}"; do
      if [ -n "$o" ] && { [ "$s" = "$o" ] || [ "${s#"$o"_}" != "$s" ]; }; then keep=1; fi
    done
    [ "$keep" = 1 ] || continue
  fi
  rm -f "$OUT/$s.har" "$OUT/$s.cdp.har" "$OUT/$s.sanitized.har" "$OUT/$s.truth.jsonl" \
        "$OUT/$s.config.json" "$OUT/$s.cdp-events.jsonl"
done

node record.mjs --scenarios "$SCEN" --out "$OUT" "$@"
python3 verify.py "$OUT"
