#!/usr/bin/env python3
"""Replays a capture's requests, paced, against a fresh real gateway, and counts refusals.

Owns the check that a pacing plan (as why429 recommends it) really gives no refusals: it takes
the browser's requests of a recorded scenario from its truth (method, path, token, arrival
offset), starts the same limiter afresh (nginx in front of server.py, or governor-gate; no
background traffic), and sends the requests in their recorded order, each no earlier than its
recorded offset, at least --min-spacing-ms after the previous start, and only while fewer than
--max-in-flight are outstanding.  It prints a JSON summary and exits 1 if any was refused.

    python3 replay_check.py OUT/<s>.truth.jsonl [--config OUT/<s>.config.json]
        [--max-in-flight K] [--min-spacing-ms S] [--without-refused] [--truth-out FILE]

--without-refused leaves out the attempts the limiter refused in the recording (the client's
retries of them stay), i.e. replays the work the page got done.  Only 127.0.0.1 is contacted.
"""

import argparse
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway import Gateway  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("truth")
    ap.add_argument("--config", help="default: the truth file's <s>.config.json")
    ap.add_argument("--max-in-flight", type=int, default=1_000_000)
    ap.add_argument("--min-spacing-ms", type=float, default=0.0)
    ap.add_argument("--without-refused", action="store_true")
    ap.add_argument("--truth-out", help="write the fresh gateway's truth here")
    args = ap.parse_args()
    cfg_path = args.config or args.truth.replace(".truth.jsonl", ".config.json")
    cfg = json.load(open(cfg_path))
    scenario = dict(cfg["scenario_file"])
    scenario["gateway"] = dict(scenario["gateway"], background=[])
    gw_spec = scenario["gateway"]
    refused_status = {429} if gw_spec["kind"] == "governor" else {int(gw_spec.get("status", 503))}

    truth = [json.loads(line) for line in open(args.truth)]
    reqs = [r for r in truth if r["source"] == "browser" and not r["preflight"]]
    if args.without_refused:
        reqs = [r for r in reqs if not r["throttle"]]
    if not reqs:
        raise SystemExit("no browser requests in " + args.truth)
    t_first = reqs[0]["t"]

    work = tempfile.mkdtemp(prefix="gwreplay-")
    scen_file = os.path.join(work, "scenario.json")
    with open(scen_file, "w") as f:
        json.dump(scenario, f)
    gw = Gateway(scen_file, work)
    statuses = Counter()
    lock = threading.Lock()
    slots = threading.Semaphore(args.max_in_flight)
    in_flight = [0, 0]  # now, max

    def send(r):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=60)
            headers = {"Accept": "application/json", "Origin": "http://127.0.0.1"}
            if r["authorization"]:
                headers["Authorization"] = r["authorization"]
            body = None
            if r["method"] in ("POST", "PUT", "PATCH"):
                body, headers["Content-Type"] = "{}", "application/json"
            conn.request(r["method"], r["path"], body=body, headers=headers)
            status = conn.getresponse().status
            conn.close()
        except OSError:
            status = 0
        with lock:
            statuses[status] += 1
            in_flight[0] -= 1
        slots.release()

    threads = []
    t0 = time.time()
    last = None
    try:
        for r in reqs:
            due = t0 + (r["t"] - t_first)
            if last is not None:
                due = max(due, last + args.min_spacing_ms / 1000.0)
            time.sleep(max(0.0, due - time.time()))
            slots.acquire()
            last = time.time()
            with lock:
                in_flight[0] += 1
                in_flight[1] = max(in_flight[1], in_flight[0])
            th = threading.Thread(target=send, args=(r,))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
    finally:
        gw.stop()
    fresh = gw.truth(t0)
    if args.truth_out:
        with open(args.truth_out, "w") as f:
            for rec in fresh:
                f.write(json.dumps(rec) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    refused = sum(n for st, n in statuses.items() if st in refused_status)
    print(json.dumps({
        "scenario": cfg["scenario"], "limiter": gw_spec["kind"], "requests": len(reqs),
        "max_in_flight": args.max_in_flight if args.max_in_flight < 1_000_000 else None,
        "min_spacing_ms": args.min_spacing_ms, "refused": refused,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "delayed_by_limiter": sum(1 for rec in fresh if rec["decision"] == "delayed"),
        "observed_max_in_flight": in_flight[1],
        "recorded_span_s": round(reqs[-1]["t"] - t_first, 3),
        "replay_span_s": round((last or t0) - t0, 3)}, indent=2))
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
