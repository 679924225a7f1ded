#!/usr/bin/env bash
# Draws a batch of generated scenarios, records them with real Chromium and scores them.
#
#   bash draw.sh SEED N [OUT_DIR] [--dev]
#
# 1. refuses SEED if seeds-used.txt lists it (a seed used for tuning or already scored is
#    never scored as fresh again), unless --dev; then appends SEED with the date and the
#    purpose ("dev" with --dev, else "first-contact") before anything runs;
# 2. generate.py SEED N OUT_DIR/scenarios   (scenario JSON + profile per scenario)
# 3. run_all.sh OUT_DIR/scenarios OUT_DIR   (Playwright HAR, chrome-har HAR, sanitized
#    HAR, truth, config; then verify.py)
# 4. expect.py OUT_DIR --self-check --strict (expected answers; the oracle must reproduce
#    every server decision)
# 5. rewrites OUT_DIR/<s>.profile.toml from the recorded config (the API port is random)
# 6. gzips the HARs
# 7. cargo run --release --example lab_score -- OUT_DIR, if that example exists; or
#    $WHY429_SCORER OUT_DIR when set (a lab_score binary built from the frozen rules).
#
# OUT_DIR defaults to captures/draw-<seed>/ next to this script (gitignored).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SEEDS="$HERE/seeds-used.txt"

DEV=0
ARGS=()
for a in "$@"; do
  case "$a" in
    --dev) DEV=1 ;;
    -*) echo "unknown flag $a" >&2; exit 2 ;;
    *) ARGS+=("$a") ;;
  esac
done
if [ ${#ARGS[@]} -lt 2 ] || [ ${#ARGS[@]} -gt 3 ]; then
  echo "usage: draw.sh SEED N [OUT_DIR] [--dev]" >&2
  exit 2
fi
SEED="${ARGS[0]}"
N="${ARGS[1]}"
case "$SEED" in
  *[!A-Za-z0-9._-]*|"") echo "SEED may use letters, digits, '.', '_' and '-' only" >&2; exit 2 ;;
esac
case "$N" in
  ''|*[!0-9]*) echo "N must be a number" >&2; exit 2 ;;
esac
SLUG="$(printf '%s' "$SEED" | tr 'A-Z' 'a-z' | tr -cs 'a-z0-9' '-' | sed 's/^-//; s/-$//')"
OUT="${ARGS[2]:-$HERE/captures/draw-$SLUG}"
OUT="$(realpath -m -- "$OUT")"

if grep -v '^#' "$SEEDS" 2>/dev/null | cut -f1 | grep -qxF -- "$SEED"; then
  if [ "$DEV" = 0 ]; then
    echo "seed $SEED is listed in $SEEDS (used before):" >&2
    grep -F -- "$SEED" "$SEEDS" >&2
    echo "draw a fresh seed, or pass --dev for a development batch that is not scored as fresh" >&2
    exit 3
  fi
fi
PURPOSE=first-contact
[ "$DEV" = 1 ] && PURPOSE=dev
printf '%s\t%s\t%s\t%s\n' "$SEED" "$(date -u +%Y-%m-%d)" "$PURPOSE" "$N" >> "$SEEDS"
echo "seed $SEED recorded in $SEEDS as $PURPOSE"

if [ -e "$OUT/scenarios" ]; then
  echo "$OUT/scenarios exists: choose another OUT_DIR or remove it" >&2
  exit 2
fi
mkdir -p "$OUT/scenarios"
python3 "$HERE/generate.py" "$SEED" "$N" "$OUT/scenarios"
cp "$OUT"/scenarios/*.profile.toml "$OUT"/ 2>/dev/null || true

# record (run_all.sh exits non-zero when verify.py finds a hard failure: report, go on)
VERIFY=ok
bash "$HERE/run_all.sh" "$OUT/scenarios" "$OUT" || VERIFY=failed

# a scenario whose server decisions the oracle cannot reproduce is reported in EXPECT.txt (its
# expected answers are the less certain for it); the batch is still profiled and scored
SELFCHECK=ok
python3 "$HERE/expect.py" "$OUT" --self-check --strict | tee "$OUT/EXPECT.txt" || SELFCHECK=failed

for cfg in "$OUT"/*.config.json; do
  s="${cfg%.config.json}"
  python3 "$ROOT/scripts/lab-profile.py" "$cfg" > "$s.profile.toml"
done

gzip -f "$OUT"/*.har

if [ -n "${WHY429_SCORER:-}" ]; then
  # a scorer built from the frozen rules (the tree may have moved on while recording)
  "$WHY429_SCORER" "$OUT"
elif [ -f "$ROOT/examples/lab_score.rs" ] || [ -d "$ROOT/examples/lab_score" ]; then
  (cd "$ROOT" && cargo run --release --example lab_score -- "$OUT")
else
  echo "scorer examples/lab_score.rs not found: skipping the score (run it later:"
  echo "  cargo run --release --example lab_score -- $OUT)"
fi
echo "batch in $OUT (verify: $VERIFY, oracle self-check: $SELFCHECK)"
[ "$VERIFY" = ok ] && [ "$SELFCHECK" = ok ]
