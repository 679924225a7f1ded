#!/usr/bin/env python3
"""Convert a lab's server truth (`<s>.truth.jsonl`) into why429's generic server-log form.

The lab server (fixtures/lab) and the gateway lab (fixtures/lab-gateway) log every request
they saw — the browser's and the background traffic no HAR holds — one JSON object a line.
This writes the same requests the way an API platform's access log would hold them
(`../shared/DESIGN.md`, "Server-side records"): time of arrival, method, path, status,
duration, client, user, bearer token, correlation (request) id, user agent and client IP.
Nothing else of the truth is carried over: not the refusing layer, not whether a line came
from the browser, so that `why429 --server-log` has to work it out.

    python3 truth_to_log.py TRUTH.jsonl [-o OUT.jsonl] [--shift-s S] [--no-correlation]

--shift-s     add S seconds to every time (a server clock off from the capture's)
--no-correlation  leave correlation ids out (records then match by method, path and time)

Every lab scenario's log is written next to its truth by `--all DIR`, as `<s>.server.jsonl`.
"""

import argparse
import glob
import json
import os
import sys
from datetime import datetime, timezone

# what the background clients of the labs identify as: a fixed user agent and address each
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0.0.0 Safari/537.36"


def iso(t):
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % d.microsecond


def agent(line):
    if line.get("source") == "background":
        return "%s/1.0 (lab background)" % (line.get("client") or "job")
    return BROWSER_UA


def address(line):
    name = line.get("client") or "browser"
    if line.get("source") != "background":
        return "198.51.100.7"
    return "203.0.113.%d" % (sum(name.encode()) % 250 + 1)


def convert(lines, shift_s=0.0, correlation=True):
    out = []
    for d in lines:
        rec = {
            "time": iso(d["t"] + shift_s),
            "method": d["method"],
            "path": d["path"],
            "status": d["status"],
        }
        if d.get("duration_ms") is not None:
            rec["duration_ms"] = d["duration_ms"]
        if d.get("client"):
            rec["client"] = d["client"]
        if d.get("user"):
            rec["user"] = d["user"]
        if d.get("token"):
            rec["token"] = d["token"]
        cid = d.get("correlation_id") or d.get("request_id")
        if correlation and cid:
            rec["correlation_id"] = cid
        if not d.get("preflight"):
            rec["user_agent"] = agent(d)
        rec["ip"] = address(d)
        out.append(rec)
    out.sort(key=lambda r: r["time"])
    return out


def read(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def write(records, path):
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r, separators=(", ", ": ")) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("truth", nargs="?")
    ap.add_argument("-o", "--out")
    ap.add_argument("--shift-s", type=float, default=0.0)
    ap.add_argument("--no-correlation", action="store_true")
    ap.add_argument("--all", metavar="DIR", help="convert every DIR/*.truth.jsonl")
    a = ap.parse_args()
    if a.all:
        for t in sorted(glob.glob(os.path.join(a.all, "*.truth.jsonl"))):
            out = t[: -len(".truth.jsonl")] + ".server.jsonl"
            write(convert(read(t), a.shift_s, not a.no_correlation), out)
            print(out)
        return 0
    if not a.truth:
        ap.error("give a truth file or --all DIR")
    recs = convert(read(a.truth), a.shift_s, not a.no_correlation)
    if a.out:
        write(recs, a.out)
    else:
        for r in recs:
            sys.stdout.write(json.dumps(r, separators=(", ", ": ")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
