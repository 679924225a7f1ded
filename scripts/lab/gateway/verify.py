#!/usr/bin/env python3
"""Checks the gateway lab's captures against their truth and writes DIR/VERIFY.md.

Owns the per-folder report: for each scenario, the requests the limiter logged (browser and
background), the throttles and delays, how the HARs show them (joined to the truth by
X-Request-Id), the expected causes (<s>.expect.jsonl) and the oracle's agreement with the
real limiter (expect.py's self-check).  Exits non-zero when a hard check fails: a browser
throttle missing from a HAR, a HAR API entry without truth, or an expect file out of date.

    python3 verify.py DIR
"""

import gzip
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expect  # noqa: E402


def load_har(dirpath, s, kind):
    for name in (s + kind + ".gz", s + kind):
        p = os.path.join(dirpath, name)
        if os.path.exists(p):
            with (gzip.open(p, "rt") if p.endswith(".gz") else open(p)) as f:
                return json.load(f)
    return None


def rid(entry):
    for h in entry["response"]["headers"]:
        if h["name"].lower() == "x-request-id":
            return h["value"]
    return None


def check(dirpath, s, fails):
    truth, gw = expect.load(dirpath, s)
    res = expect.run(dirpath, s)  # rewrites <s>.expect.jsonl deterministically
    cfg = json.load(open(os.path.join(dirpath, s + ".config.json")))
    api = cfg["run"]["api_origin"]
    by_id = {r["request_id"]: r for r in truth}
    browser = [r for r in truth if r["source"] == "browser"]
    api_req = [r for r in browser if not r["preflight"]]
    throttles = [r for r in api_req if r["throttle"]]
    row = {"scenario": s, "limiter": gw["kind"], "browser": len(api_req),
           "preflights": sum(r["preflight"] for r in browser),
           "background": sum(r["source"] == "background" for r in truth),
           "bg_throttled": sum(r["source"] == "background" and r["throttle"] for r in truth),
           "throttles": len(throttles),
           "status": ",".join("%dx%d" % (n, st) for st, n in sorted(Counter(r["status"] for r in throttles).items())),
           "delayed": sum(r["decision"] == "delayed" for r in api_req),
           "visible": res["visible"], "hidden": res["hidden"], "check": res["check"]}
    hars = {}
    for kind in (".har", ".cdp.har", ".sanitized.har"):
        har = load_har(dirpath, s, kind)
        if har is None:
            continue
        entries = [e for e in har["log"]["entries"] if e["request"]["url"].startswith(api)]
        seen = {rid(e) for e in entries}
        unjoined = sum(1 for e in entries if rid(e) not in by_id)
        missing = sum(1 for r in throttles if r["request_id"] not in seen)
        pre = sum(1 for e in entries if e["request"]["method"] == "OPTIONS")
        auth = sum(1 for e in entries if e["request"]["method"] != "OPTIONS" and any(
            h["name"].lower() == "authorization" for h in e["request"]["headers"]))
        hars[kind] = {"entries": len(entries), "preflights": pre, "auth": auth,
                      "throttles_missing": missing, "unjoined": unjoined}
        if missing:
            fails.append("%s%s: %d browser throttles not in the HAR" % (s, kind, missing))
        if unjoined:
            fails.append("%s%s: %d API entries without truth" % (s, kind, unjoined))
    row["hars"] = hars
    c = res["check"]
    if c.get("agree", 0) != c.get("requests", 0):
        row["note"] = "; ".join("seq %d %s: limiter %s, oracle %s" % (
            b["seq"], b["source"], b["real"], b["oracle"]) for b in res["disagreements"])
    return row


def main(dirpath):
    fails = []
    rows = [check(dirpath, s, fails) for s in expect.scenarios(dirpath)]
    out = ["# Gateway lab captures: verification", "",
           "Written by `scripts/lab/gateway/verify.py`. Browser = API requests from the page "
           "(preflights apart); throttles = browser requests the limiter refused; causes from "
           "`<s>.expect.jsonl`; oracle = expect.py's full replay of every request (browser and "
           "background) against the limiter's own decisions (refused/admitted, and for nginx "
           "delayed/not), the refusing zone (nginx: from its error log) and the excess nginx logged "
           "for each refusal or delay (exact, and within one millisecond's leak: nginx measures "
           "elapsed time on a monotonic millisecond clock, the access log on the wall clock).", "",
           "| scenario | limiter | browser requests | preflights | background (refused) | browser throttles | "
           "visible | hidden | delayed | oracle agrees | zone | excess exact | excess ±1 ms |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c = r["check"]
        out.append("| `%s` | %s | %d | %d | %d (%d) | %d%s | %d | %d | %d | %d/%d | %s | %s | %s |" % (
            r["scenario"], r["limiter"], r["browser"], r["preflights"], r["background"],
            r["bg_throttled"], r["throttles"], " (%s)" % r["status"] if r["status"] else "",
            r["visible"], r["hidden"], r["delayed"], c.get("agree", 0), c.get("requests", 0),
            "%d/%d" % (c.get("zone_same", 0), c.get("zone_known", 0)) if c.get("zone_known") else "-",
            "%d/%d" % (c.get("excess_same", 0), c.get("excess_known", 0)) if c.get("excess_known") else "-",
            "%d/%d" % (c.get("excess_within_1ms", 0), c.get("excess_known", 0)) if c.get("excess_known") else "-"))
    out += ["", "## HARs (API origin only)", "",
            "| scenario | HAR | entries | preflights | with Authorization | throttles missing | without truth |",
            "|---|---|---|---|---|---|---|"]
    for r in rows:
        for kind, h in r["hars"].items():
            out.append("| `%s` | `%s` | %d | %d | %d | %d | %d |" % (
                r["scenario"], kind, h["entries"], h["preflights"], h["auth"],
                h["throttles_missing"], h["unjoined"]))
    notes = [r for r in rows if r.get("note")]
    if notes:
        out += ["", "## Oracle disagreements", ""]
        out += ["- `%s`: %s" % (r["scenario"], r["note"]) for r in notes]
    out += ["", "Hard checks: %s" % ("all passed" if not fails else "; ".join(fails)), ""]
    with open(os.path.join(dirpath, "VERIFY.md"), "w") as f:
        f.write("\n".join(out))
    print("\n".join(out))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
