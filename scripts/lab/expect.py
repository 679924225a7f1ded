#!/usr/bin/env python3
"""Expected answers (`<s>.expect.jsonl`) from the server-side truth alone, and the checks of
the oracle that computes them.

Owns the rule that says what why429 should answer for every throttle the browser got
(README: "Expected answers").  The oracle replays logged requests through fresh instances
of the server's own decision (layers.py), so it decides exactly like the server:

  * the layer that fired is undocumented -> `undocumented-limit` (kind `concurrency`,
    `burst` when its window or bucket horizon is 10 s or less, else `rate`);
  * else replay the browser's own requests on the same key (those the layer counted, plus
    those it refused itself, in server arrival order) through a fresh limiter holding only
    that layer with the enforced numbers: refused -> `visible-traffic`, admitted ->
    `hidden-traffic` (with `hidden_by` on window layers);
  * a layer documented with other numbers (`documented_as`) whose browser-only replay is
    refused with the enforced numbers but admitted with the documented ones ->
    `undocumented-limit`.

    python3 expect.py DIR [--only a,b] [--self-check] [--old-rule] [--strict]

writes DIR/<s>.expect.jsonl for every <s>.truth.jsonl with a <s>.config.json.
--self-check replays all traffic (browser and background) through the full layered limiter
and compares every decision with the server's; --old-rule compares the causes with the rule
of tests/integration/lab_truth.rs; --strict exits 1 on any disagreement.
"""

import argparse
import collections
import copy
import glob
import heapq
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import layers  # noqa: E402
import limiters  # noqa: E402


def load(dirname, name):
    with open(os.path.join(dirname, name + ".config.json")) as f:
        cfg = json.load(f)["effective_server_config"]
    with open(os.path.join(dirname, name + ".truth.jsonl")) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    lines.sort(key=lambda l: l["seq"])
    return cfg, lines


def throttled(line):
    return bool(line.get("throttled", line["status"] == 429))


def snap(line, layer_name):
    return next((s for s in line["layers"] if s["layer"] == layer_name), None)


def processing_s(cfg, line):
    pm = cfg.get("processing_ms", {})
    key = "%s %s" % (line["method"], line["template"])
    return float(pm.get(key, pm.get("default", 0)) or 0) / 1000.0


def replay(cfg, lines, stop_seq=None):
    """Feeds `lines` (seq order) through a fresh layered limiter; concurrency slots are given
    back in the order the server logged (`release_after_seq`, else by `t_done`).  Returns
    {seq: decision}; stops after `stop_seq`."""
    lim = layers.Layered(cfg)
    held = []  # heap of (order, seq, dec)
    out = {}
    for line in lines:
        while held and released_before(held[0][0], line):
            lim.release(heapq.heappop(held)[2])
        ident = {"user": line["user"], "client": line["client"], "token": line["token"]}
        path = line["path"].split("?", 1)[0]
        dec = lim.admit(ident, line["method"], line["template"], path, line["t"],
                        processing_s(cfg, line))
        out[line["seq"]] = dec
        if dec["held"]:
            order = (0, line["release_after_seq"]) if "release_after_seq" in line \
                else (1, line["t_done"])
            heapq.heappush(held, (order, line["seq"], dec))
        if stop_seq is not None and line["seq"] >= stop_seq:
            break
    return out


def released_before(order, line):
    kind, v = order
    return line["seq"] > v if kind == 0 else line["t"] >= v


def requests(lines):
    return [l for l in lines if not l["preflight"] and l["user"] is not None]


# ---------------------------------------------------------------------------
# the oracle
# ---------------------------------------------------------------------------
def single_layer_refuses(cfg, layer, lines, target):
    """Would a fresh limiter holding only `layer` refuse `target` if the browser's own
    traffic on its key were all there was?"""
    st = snap(target, layer["name"])
    feed = []
    for l in lines:
        if l["seq"] >= target["seq"] or l["source"] != "browser":
            continue
        s = snap(l, layer["name"])
        if s is None or s["key"] != st["key"]:
            continue
        # a request the layer refused is fed too: it opens the layer's penalty box as at the
        # server. Where the browser's own traffic alone would have admitted it, it holds a
        # concurrency slot only until the server logged its release (`release_after_seq`: at
        # once for a refusal, after its delay for a held one), as at the server
        refused_here = s.get("exceeded")
        if layer["name"] in l["counted_in"] or refused_here:
            feed.append(l)
    one = dict(cfg, layers=[layer])
    dec = replay(one, feed + [target], stop_seq=target["seq"])[target["seq"]]
    return not dec["admitted"]


def documented_version(layer):
    doc = dict(layer.get("documented_as") or {})
    out = copy.deepcopy(layer)
    out.update(doc)
    out.pop("documented_as", None)
    return out


def kind_of(layer):
    if limiters.algorithm_of(layer) == "concurrency":
        return "concurrency"
    return "burst" if limiters.horizon_s(layer) <= 10 else "rate"


def hidden_by(layer, lines, target):
    """Background requests counted in the refusing window of the target's key, per client."""
    alg = limiters.algorithm_of(layer)
    if alg not in limiters.WINDOW_ALGORITHMS:
        return None
    st = snap(target, layer["name"])
    t, w = target["t"], float(layer["window_s"])
    start = t - w
    if alg == "fixed":
        start = t + st["reset_s"] - w - 0.001  # reset_s is rounded to the millisecond
    n = collections.Counter()
    for l in lines:
        if l["source"] != "background" or not (start < l["t"] <= t):
            continue
        s = snap(l, layer["name"])
        if s is not None and s["key"] == st["key"] and layer["name"] in l["counted_in"]:
            n[l["client"]] += int(s.get("cost", 1))
    return [{"client": c, "requests": k} for c, k in sorted(n.items(), key=lambda x: (-x[1], x[0]))]


def expect_one(cfg, lines, target):
    name = target["layer"]
    layer = next(l for l in cfg["layers"] if l["name"] == name)
    base = {"id": target["correlation_id"], "status": target["status"]}
    if not layer.get("documented"):
        kind = kind_of(layer)
        return dict(base, cause="undocumented-limit", layer=None, kind=kind, hidden_by=None,
                    why="the undocumented %s limit %s refused it" % (kind, name))
    if single_layer_refuses(cfg, layer, lines, target):
        if layer.get("documented_as"):
            doc = documented_version(layer)
            if not single_layer_refuses(cfg, doc, lines, target):
                kind = kind_of(layer)
                return dict(base, cause="undocumented-limit", layer=None, kind=kind,
                            hidden_by=None,
                            why="%s enforces tighter numbers than documented; the browser's own "
                                "traffic reaches the enforced ones only" % name)
        return dict(base, cause="visible-traffic", layer=name, kind=None, hidden_by=None,
                    why="the browser's own requests alone exceed %s" % name)
    hb = hidden_by(layer, lines, target)
    return dict(base, cause="hidden-traffic", layer=name, kind=None, hidden_by=hb,
                why="%s refused it only because of requests outside the capture" % name)


def expectations(cfg, lines):
    return [expect_one(cfg, lines, l) for l in lines
            if l["source"] == "browser" and not l["preflight"] and throttled(l)]


# ---------------------------------------------------------------------------
# checks of the oracle
# ---------------------------------------------------------------------------
def old_rule(lines, target):
    """tests/integration/lab_truth.rs: visible when the browser's own counted requests in
    the window (the throttle excluded) reach the limit."""
    if target["layer_documented"] is False:
        return "undocumented-limit"
    name = target["layer"]
    st = snap(target, name)
    t, seq = target["t"], target["seq"]

    def same(q):
        s = snap(q, name)
        return (q["source"] == "browser" and q["seq"] != seq and name in q["counted_in"]
                and s is not None and s["key"] == st["key"])
    if st["kind"] == "concurrency":
        n = sum(1 for q in lines if same(q) and q["t"] <= t < q["t_done"])
    else:
        w = st["window_s"]
        start = t + st["reset_s"] - w - 0.02 if st.get("algorithm") == "fixed" else t - w
        n = sum(1 for q in lines if same(q) and start < q["t"] <= t)
    return "visible-traffic" if n >= st["limit"] else "hidden-traffic"


SNAPSHOT_SKIP = ("retry_after_exact_s", "reset_s")


def self_check(cfg, lines):
    """Replays all traffic through the full limiter; returns (agreeing, total, first
    differences).  Retry-After and reset of concurrency layers depend on processing times
    the log does not hold exactly, so those two fields are not compared for them."""
    reqs = [l for l in lines if not l["preflight"] and l["user"] is not None]
    decs = replay(cfg, reqs)
    ok, diffs = 0, []
    for l in reqs:
        d = decs[l["seq"]]
        fired = d["fired"][0]["name"] if d["fired"] else None
        mine = [clean(s) for s in d["snapshot"]]
        theirs = [clean(s) for s in l["layers"]]
        same = (fired == l["layer"] and (d["fired"] is not None) == throttled(l)
                and d["counted_in"] == l["counted_in"] and mine == theirs)
        if same:
            ok += 1
        elif len(diffs) < 5:
            diffs.append("seq %d: server %s %s, replay %s %s" % (
                l["seq"], l["layer"], l["counted_in"], fired, d["counted_in"]))
    return ok, len(reqs), diffs


def clean(s):
    if s["kind"] == "concurrency":
        return {k: v for k, v in s.items() if k not in SNAPSHOT_SKIP}
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--only", help="comma-separated scenario names or prefixes")
    ap.add_argument("--self-check", action="store_true")
    ap.add_argument("--old-rule", action="store_true")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    names = sorted(os.path.basename(p)[:-len(".truth.jsonl")]
                   for p in glob.glob(os.path.join(args.dir, "*.truth.jsonl")))
    names = [n for n in names if os.path.exists(os.path.join(args.dir, n + ".config.json"))]
    if args.only:
        items = args.only.split(",")
        names = [n for n in names if any(n == o or n.startswith(o + "_") for o in items)]
    if not names:
        raise SystemExit("no <s>.truth.jsonl with a <s>.config.json in %s" % args.dir)
    bad = 0
    totals = collections.Counter()
    for name in names:
        cfg, lines = load(args.dir, name)
        exp = expectations(cfg, lines)
        with open(os.path.join(args.dir, name + ".expect.jsonl"), "w") as f:
            for e in exp:
                f.write(json.dumps(e) + "\n")
        causes = collections.Counter(e["cause"] + ("/" + e["kind"] if e["kind"] else "")
                                     for e in exp)
        totals.update(causes)
        msg = ["%s: %d throttles %s" % (name, len(exp), dict(sorted(causes.items())))]
        if args.old_rule:
            by_id = {l["correlation_id"]: l for l in lines}
            dis = [(e, old_rule(lines, by_id[e["id"]])) for e in exp]
            dis = [(e, o) for e, o in dis if o != e["cause"]]
            msg.append("old rule: %d/%d agree" % (len(exp) - len(dis), len(exp)))
            for e, o in dis[:5]:
                l = by_id[e["id"]]
                msg.append("\n    seq %d %s: oracle %s, old rule %s" % (l["seq"], l["layer"],
                                                                      e["cause"], o))
            bad += len(dis)
        if args.self_check:
            ok, n, diffs = self_check(cfg, lines)
            msg.append("self-check: %d/%d decisions agree" % (ok, n))
            msg += ["\n    " + d for d in diffs]
            bad += n - ok
        print("; ".join(m for m in msg if not m.startswith("\n")) +
              "".join(m for m in msg if m.startswith("\n")))
    print("total: %s" % dict(sorted(totals.items())))
    if args.strict and bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
