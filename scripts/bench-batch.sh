#!/usr/bin/env bash
# Batch throughput: `why429 check` over 1,000 small captures, against one capture × 1,000 ÷ cores.
#
#   scripts/bench-batch.sh [COUNT]
#
# Needs hyperfine (Debian: apt-get install hyperfine). Prints medians of several runs.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
cargo build --release --quiet
bin=$PWD/target/release/why429
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=fixtures/lab/t03_contact_sync_burst_app_user.har
mkdir -p "$work/one" "$work/many"
cp "$src" "$work/one/capture.har"
for i in $(seq -w 1 "$count"); do cp "$src" "$work/many/c$i.har"; done
cores=$(nproc)
echo "captures: $count × $(du -h "$src" | cut -f1) ($src), cores: $cores"
export WHY429_FINGERPRINT_KEY=bench
hyperfine --warmup 3 --runs 20 --export-json "$work/one.json" \
  "$bin check --quiet --fail-on 'utilization>=100000%' $work/one" >/dev/null
hyperfine --warmup 1 --runs 5 --export-json "$work/many.json" \
  "$bin check --quiet --fail-on 'utilization>=100000%' $work/many" >/dev/null
RAYON_NUM_THREADS=1 hyperfine --warmup 1 --runs 3 --export-json "$work/many1.json" \
  "$bin check --quiet --fail-on 'utilization>=100000%' $work/many" >/dev/null
python3 - "$work" "$count" "$cores" <<'PY'
import json, sys
work, count, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
med = lambda f: json.load(open(f"{work}/{f}"))["results"][0]["median"]
one, many, many1 = med("one.json"), med("many.json"), med("many1.json")
ideal = one * count / cores
print(f"one capture:              {one*1000:8.1f} ms (median of 20, whole process)")
print(f"{count} captures, 1 thread:  {many1:8.2f} s")
print(f"{count} captures, {cores} threads: {many:8.2f} s")
print(f"one × {count} ÷ {cores} cores:  {ideal:8.2f} s  → measured / ideal = {many/ideal:.2f}")
PY
