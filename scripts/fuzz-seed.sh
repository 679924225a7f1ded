#!/usr/bin/env bash
# Seeds the fuzz corpora from the bundled fixtures (small files only, so each run is quick).
# The pipeline target reads a mode byte first: 0 = strict, 1 = --partial. The serverlog target
# reads one too: 0 = recognise the format, 11 = the first line is a --server-log-format value.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/pipeline fuzz/corpus/profile fuzz/corpus/serverlog fuzz/corpus/dialects
n=0
while IFS= read -r -d '' f; do
  [ "$(stat -c %s "$f")" -le 300000 ] || continue
  for mode in 0 1; do
    { printf "\\x0$mode"; cat "$f"; } > "fuzz/corpus/pipeline/$(basename "$f").$mode"
  done
  n=$((n + 1))
done < <(find fixtures -name '*.har' -print0)
cp fixtures/lab/*.profile.toml fuzz/corpus/profile/ 2>/dev/null || true
# the dialects target reads `host status`, `name: value` lines, a blank line and a body: one
# seed per response of the dialect captures
mkdir -p fuzz/corpus/dialects
python3 - <<'PY'
import glob, json, os
n = 0
for path in sorted(glob.glob("fixtures/dialects/*.har")):
    for i, e in enumerate(json.load(open(path))["log"]["entries"]):
        host = e["request"]["url"].split("/")[2]
        r = e["response"]
        text = r["content"].get("text", "")
        lines = [f"{host} {r['status']}"] + [f"{h['name']}: {h['value']}" for h in r["headers"]]
        name = f"{os.path.basename(path)[:-4]}-{i}"
        with open(os.path.join("fuzz/corpus/dialects", name), "w") as f:
            f.write("\n".join(lines) + "\n\n" + text)
        n += 1
print(f"seeded {n} dialect responses")
PY
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
