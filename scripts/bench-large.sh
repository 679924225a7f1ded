#!/usr/bin/env bash
# Large captures, whole process: why429 against the parse floor, jq and Python.
#
#   scripts/bench-large.sh [--quick]
#
# Generates bench-data/big500.har (500 MB, Chrome-style, bodies), bench-data/big1000.har
# (1 GB) and bench-data/small1m.har (1,000,000 entries without bodies) with
# `cargo run --release --example gen_har`, then reports hyperfine medians, MB/s, entries/s,
# peak RSS (/usr/bin/time) and the mean CPU time per run (user + system: against the wall time,
# how much of both cores the run kept busy). The parse floor is `examples/parse_floor.rs`: a bare serde_json
# streaming parse that deserializes only the fields an analysis needs.
# Needs hyperfine and GNU time (Debian: apt-get install hyperfine time); jq and python3 are
# compared when present. --quick skips the 1 GB file and the comparisons.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
cargo build --release --quiet --bins --examples
bin=./target/release/why429
floor=./target/release/examples/parse_floor
mkdir -p bench-data
gen() { [ -f "bench-data/$1" ] || ./target/release/examples/gen_har "${@:2}" -o "bench-data/$1"; }
gen big500.har --mb 500 --seed 1
[ "$quick" = --quick ] || gen big1000.har --mb 1000 --seed 2
gen small1m.har --entries 1000000 --no-bodies --seed 3
export WHY429_FINGERPRINT_KEY=bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
# mean CPU time (user + system) per run: how much of the wall time used both cores
cpu() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["user"]+r["system"])' "$1"; }
rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }  # KiB
entries() { "$floor" "$1" | cut -d' ' -f1; }

row() { # name command...
  local name=$1; shift
  hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out/h.json" "$*" >/dev/null 2>&1
  local t; t=$(median "$out/h.json")
  local c; c=$(cpu "$out/h.json")
  local m; m=$(rss sh -c "$*")
  printf '%-44s %8.3f s %8.0f MB/s %10.0f entries/s %8.1f MiB %8.2f s CPU\n' "$name" "$t" \
    "$(python3 -c "print($size/1e6/$t)")" "$(python3 -c "print($n/$t)")" "$(python3 -c "print($m/1024)")" "$c"
  echo "$t" > "$out/$name.t"
}

for f in big500.har small1m.har ${quick:+} $([ "$quick" = --quick ] || echo big1000.har); do
  path=bench-data/$f
  cat "$path" > /dev/null  # warm the page cache
  size=$(stat -c %s "$path"); n=$(entries "$path")
  echo "== $f: $(python3 -c "print(round($size/1e6))") MB, $n entries, $(nproc) cores"
  row "floor:$f" "$floor $path"
  row "why429-json:$f" "$bin analyze $path --format json"
  row "why429-out:$f" "rm -rf $out/o && $bin analyze $path --out $out/o"
  python3 -c "
f, w = float(open('$out/floor:$f.t').read()), float(open('$out/why429-out:$f.t').read())
print(f'ratio: why429 analyze --out / parse floor = {w/f:.2f}')"
  if [ "$quick" != --quick ] && [ "$f" = big500.har ]; then
    command -v jq >/dev/null && RUNS=3 row "jq:$f" "jq '.log.entries|length' $path"
    RUNS=3 row "python-json.load:$f" "python3 -c 'import json,sys; e=json.load(open(sys.argv[1],\"rb\"))[\"log\"][\"entries\"]; print(len(e))' $path"
  fi
done
if [ "$quick" != --quick ]; then
  python3 -c "
a, b = float(open('$out/why429-out:big500.har.t').read()), float(open('$out/why429-out:big1000.har.t').read())
print(f'1 GB / 500 MB time: {b/a:.2f} (target <= 2.1)')"
fi
