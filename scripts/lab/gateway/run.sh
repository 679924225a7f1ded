#!/usr/bin/env bash
# Records the gateway lab (real limiters: nginx, governor-gate) and writes its truth,
# profiles and expected answers.
#
#   bash scripts/lab/gateway/run.sh [SCENARIOS_DIR [OUT_DIR]] [--only a,b] [record.mjs flags]
#
# SCENARIOS_DIR defaults to scenarios/ next to this script, OUT_DIR to captures/ next to it
# (gitignored; the committed captures are in fixtures/lab-gateway/).  For each scenario:
# ../record.mjs --server lab_gateway.py records <s>.har, <s>.cdp.har, <s>.sanitized.har,
# <s>.truth.jsonl and <s>.config.json; then profile.py writes <s>.profile.toml, expect.py
# <s>.expect.jsonl, the HARs are gzipped (<s>.har.gz ...), and verify.py writes VERIFY.md.
# Old outputs of exactly the scenarios about to be recorded are deleted first.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SCEN="$HERE/scenarios"
OUT="$HERE/captures"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then SCEN="$(realpath -m -- "$1")"; shift; fi
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then OUT="$(realpath -m -- "$1")"; shift; fi
[ -d "$SCEN" ] || { echo "no scenarios folder: $SCEN" >&2; exit 2; }
LAB="$(dirname "$HERE")"
{ [ -d "$LAB/node_modules/playwright-core" ] && [ -d "$LAB/node_modules/chrome-har" ] && [ -x /usr/bin/chromium ]; } \
  || bash "$LAB/setup.sh"
[ -x /usr/sbin/nginx ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light; }
(cd "$HERE/governor-gate" && cargo build --release --locked --quiet)
mkdir -p "$OUT"

ONLY=""
prev=""
for a in "$@"; do
  [ "$prev" = "--only" ] && ONLY="$a"
  prev="$a"
done
NAMES=()
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
  NAMES+=("$s")
  for ext in har cdp.har sanitized.har har.gz cdp.har.gz sanitized.har.gz truth.jsonl config.json \
             profile.toml expect.jsonl cdp-events.jsonl; do
    rm -f "$OUT/$s.$ext"
  done
done

(cd "$LAB" && node record.mjs --server "$HERE/lab_gateway.py" --scenarios "$SCEN" --out "$OUT" "$@")
for s in "${NAMES[@]}"; do
  python3 "$HERE/profile.py" "$OUT/$s.config.json" > "$OUT/$s.profile.toml"
  python3 "$HERE/expect.py" "$OUT" "$s"
  for h in har cdp.har sanitized.har; do
    [ -f "$OUT/$s.$h" ] && gzip -9 -n -f "$OUT/$s.$h"
  done
done
python3 "$HERE/verify.py" "$OUT"
