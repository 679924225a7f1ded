#!/usr/bin/env bash
# Checks why429's recommended pacing against the real limiters: for every gateway-lab scenario
# with throttles, reads the plan why429 recommends for its Playwright capture, then replays the
# browser's requests (the attempts the limiter admitted, with the recorded retries) paced that
# way against a fresh real gateway of the same scenario, with no background traffic, and
# reports how many the limiter refused. Expected: 0 for every scenario.
#
#   bash scripts/lab/gateway/plan_check.sh [DIR]      (default: fixtures/lab-gateway)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
DIR="${1:-$ROOT/fixtures/lab-gateway}"
cd "$ROOT"
cargo build --release --quiet
[ -x "$HERE/governor-gate/target/release/governor-gate" ] ||
  (cd "$HERE/governor-gate" && cargo build --release --quiet)
status=0
for expect in "$DIR"/*.expect.jsonl; do
  s="${expect%.expect.jsonl}"
  [ -s "$expect" ] || continue
  plan=$(./target/release/why429 analyze --format json --profile "$s.profile.toml" "$s.har.gz" |
    python3 -c 'import json,sys; p=json.load(sys.stdin)["captures"][0].get("plan") or {}; r=p.get("recommended"); print("" if r is None else "%s %s" % (r["max_in_flight"] or 1000000, int(round((r["min_spacing_s"] or 0) * 1000))))')
  if [ -z "$plan" ]; then
    echo "$(basename "$s"): no recommended plan"
    continue
  fi
  read -r k ms <<<"$plan"
  out=$(python3 "$HERE/replay_check.py" "$s.truth.jsonl" --without-refused \
    --max-in-flight "$k" --min-spacing-ms "$ms" || true)
  refused=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("refused", "?"))' "$out")
  echo "$(basename "$s"): in-flight ≤ $k, spacing ≥ $ms ms → $refused refused"
  [ "$refused" = "0" ] || status=1
done
exit $status
