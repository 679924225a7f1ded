#!/usr/bin/env python3
"""Compares the shape of two recordings of the same scenario, e.g. a committed capture and
a re-recording with a changed server, to show the server still behaves the same.

Owns the notion of "same shape": the same requests and preflights per source, the same
throttles per layer and status, the same Retry-After values and body styles, the same
layers counting, and no truth field lost (fields added are listed, not errors).  Runs are
real-time, so counts may move by a few; the report shows both sides.

    python3 compare_truth.py OLD_DIR NEW_DIR SCENARIO [SCENARIO ...]
"""

import collections
import json
import os
import sys


def shape(path):
    lines = [json.loads(l) for l in open(path) if l.strip()]
    out = collections.OrderedDict()
    for src in ("browser", "background"):
        mine = [l for l in lines if l["source"] == src]
        req = [l for l in mine if not l["preflight"]]
        thr = [l for l in req if l.get("throttled", l["status"] == 429)]
        out[src + " requests"] = len(req)
        out[src + " preflights"] = len([l for l in mine if l["preflight"]])
        out[src + " statuses"] = dict(sorted(collections.Counter(l["status"] for l in req).items()))
        out[src + " throttles by layer"] = dict(sorted(collections.Counter(l["layer"] for l in thr).items()))
        out[src + " Retry-After"] = dict(sorted(collections.Counter(l["retry_after_s"] for l in thr).items()))
        out[src + " body styles"] = dict(collections.Counter(l["body_style"] for l in thr))
        out[src + " counted in"] = dict(sorted(collections.Counter(
            "+".join(l["counted_in"]) or "-" for l in req).items()))
    out["line fields"] = sorted({k for l in lines for k in l})
    out["snapshot fields"] = sorted({k for l in lines for s in l["layers"] for k in s})
    return out


def main():
    old_dir, new_dir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    lost = False
    for name in names:
        a = shape(os.path.join(old_dir, name + ".truth.jsonl"))
        b = shape(os.path.join(new_dir, name + ".truth.jsonl"))
        print("## %s\n" % name)
        print("| | %s | %s |" % (old_dir, new_dir))
        print("|---|---|---|")
        for k in a:
            if k.endswith("fields"):
                continue
            mark = "" if a[k] == b[k] else " **differs**"
            print("| %s%s | %s | %s |" % (k, mark, a[k], b[k]))
        for k in ("line fields", "snapshot fields"):
            gone = sorted(set(a[k]) - set(b[k]))
            added = sorted(set(b[k]) - set(a[k]))
            print("| %s | lost: %s | added: %s |" % (k, gone or "none", added or "none"))
            lost = lost or bool(gone)
        print()
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
