#!/usr/bin/env python3
"""The gateway lab's oracle: expected answers from the truth log alone, and a self-check.

Owns `<s>.expect.jsonl` (format: ../README.md, "Expected answers") and the exact replicas of
the real limiters it needs:

  * nginx `limit_req` (ngx_http_limit_req_module.c, nginx 1.22): integer milli-requests, a new
    key starts at excess 0, every zone of a request must pass and a refusal charges none, delay
    = (excess - delay*1000) * 1000 / rate ms;
  * nginx `limit_conn`: requests of the key in flight (from the check, i.e. arrival plus any
    limit_req delay, to the end of the request) must be fewer than the limit; limit_req runs
    first, so a request refused by limit_conn has already charged the limit_req zones;
  * governor's GCRA (governor 0.10 gcra.rs): T = period / n in whole nanoseconds,
    tau = T * (burst - 1), a new key starts at tat = t; admit iff t >= tat - tau, then
    tat = max(tat, t) + T; a refusal changes nothing.

For every browser throttle it replays the browser's own requests that reached the zone that
refused it (those the zone charged, and those it refused itself) through a fresh copy of that
zone, which decides each again (refused ones charge neither nginx nor governor): if that replay
refuses the request too, the browser's own demand would have been refused without traffic from
elsewhere and the cause is `visible-traffic`, else `hidden-traffic`. This is the generated lab's
definition (`../expect.py`) and why429's "replayed alone" (DESIGN: replay the capture's own
requests through the layer's limiter).
The zone that refused comes from replaying all traffic (browser + background) through every
zone; the self-check compares that full replay with the limiter's real decisions.

    python3 expect.py DIR [SCENARIO ...]     # writes DIR/<s>.expect.jsonl, prints agreement
"""

import json
import os
import sys
from collections import Counter

THROTTLE = "rejected"


# ---------------------------------------------------------------------------
# limiter replicas
# ---------------------------------------------------------------------------
def nginx_rate_milli(rate):
    n, unit = rate[:-3], rate[-3:]
    scale = {"r/s": 1, "r/m": 60}[unit]
    return int(n) * 1000 // scale


class NginxReqZone:
    def __init__(self, z):
        self.name = z["name"]
        self.rate = nginx_rate_milli(z["rate"])
        self.burst = int(z.get("burst", 0)) * 1000
        if z.get("nodelay"):
            self.delay = None
        else:
            self.delay = int(z.get("delay", 0)) * 1000
        self.nodes = {}  # key -> [excess, last_ms]

    def excess(self, key, now):
        node = self.nodes.get(key)
        if node is None:
            return 0
        ms = now - node[1]
        ms = 1 if ms < -60000 else max(ms, 0)
        return max(0, node[0] - self.rate * ms // 1000 + 1000)

    def account(self, key, now, excess):
        self.nodes[key] = [excess, now]

    def delay_ms(self, excess):
        if self.delay is None or excess <= self.delay:
            return 0
        return (excess - self.delay) * 1000 // self.rate


class ConnZone:
    def __init__(self, z):
        self.name = z["name"]
        self.limit = int(z["limit"])
        self.spans = {}  # key -> [(start, end)]

    def in_flight(self, key, t):
        return sum(1 for s, e in self.spans.get(key, []) if s <= t < e)

    def add(self, key, start, end):
        self.spans.setdefault(key, []).append((start, end))


class Gcra:
    def __init__(self, gw):
        n, burst = int(gw["n"]), int(gw.get("burst", gw["n"]))
        period = {"second": 1_000_000_000, "minute": 60_000_000_000}[gw.get("per", "second")]
        self.name = gw["zone"]
        self.t = max(period // n, 1)
        self.tau = self.t * (burst - 1)
        self.tat = {}

    def check(self, key, t, account=True):
        tat = self.tat.get(key, t)
        if t < max(tat - self.tau, 0):
            return False
        if account:
            self.tat[key] = max(tat, t) + self.t
        return True


# ---------------------------------------------------------------------------
# one pass of a request sequence through fresh replicas
# ---------------------------------------------------------------------------
def ms_of(r):
    return int(round(r["t"] * 1000))


def nginx_pass(gw, reqs, only_zone=None):
    """reqs: truth records in arrival order.  Returns {request_id: (decision, zone, excess)}.
    With only_zone, only that zone exists (a fresh copy of the layer that fired)."""
    zones = [z for z in gw["zones"] if only_zone is None or z["name"] == only_zone]
    rz = [NginxReqZone(z) for z in zones if z["kind"] == "req"]
    cz = [ConnZone(z) for z in zones if z["kind"] == "conn"]
    out = {}
    for r in reqs:
        key = r["authorization"]
        if not key:
            out[r["request_id"]] = ("not-limited", None, None)
            continue
        now = ms_of(r)
        refused = None
        passed = []
        for z in rz:
            e = z.excess(key, now)
            if key in z.nodes and e > z.burst:
                refused = (z.name, e)
                break
            passed.append((z, e))
        if refused:
            out[r["request_id"]] = ("rejected", refused[0], refused[1])
            continue
        delay, dz, de = 0, None, None
        for z, e in passed:
            z.account(key, now, e)
            d = z.delay_ms(e)
            if d > delay:
                delay, dz, de = d, z.name, e
        check = now + delay
        end = int(round(r["t_done"] * 1000))
        for z in cz:
            if z.in_flight(key, check) >= z.limit:
                refused = z.name
                break
        if refused:
            out[r["request_id"]] = ("rejected", refused, None)
            continue
        for z in cz:
            z.add(key, check, end)
        out[r["request_id"]] = ("delayed", dz, de) if delay else ("passed", None, None)
    return out


def governor_pass(gw, reqs):
    g = Gcra(gw)
    out = {}
    for r in reqs:
        key = r["authorization"]
        if not key or r["preflight"]:
            out[r["request_id"]] = ("not-limited", None, None)
        elif g.check(key, r["mono_ns"]):
            out[r["request_id"]] = ("passed", None, None)
        else:
            out[r["request_id"]] = ("rejected", g.name, None)
    return out


def replay(gw, reqs, only_zone=None):
    if gw["kind"] == "nginx":
        return nginx_pass(gw, reqs, only_zone)
    return governor_pass(gw, reqs)


# ---------------------------------------------------------------------------
# expected answers
# ---------------------------------------------------------------------------
def zone_spec(gw, name):
    if gw["kind"] == "governor":
        return {"kind": "gcra", "name": gw["zone"]}
    return next(z for z in gw["zones"] if z["name"] == name)


def horizon_s(gw, zone):
    """capacity / rate of a bucket, in seconds."""
    if gw["kind"] == "governor":
        per = {"second": 1.0, "minute": 60.0}[gw.get("per", "second")]
        return int(gw.get("burst", gw["n"])) * per / int(gw["n"])
    return (int(zone.get("burst", 0)) + 1) * 1000.0 / nginx_rate_milli(zone["rate"])


def charged(gw, r, zone):
    """Whether a real request used budget in `zone` (refusals charge nothing)."""
    if gw["kind"] == "governor":
        return r["decision"] != THROTTLE
    if zone["kind"] == "req":
        return r["limit_req_status"] in ("PASSED", "DELAYED")
    return r["decision"] != THROTTLE


def reached(gw, r, zone, full):
    """Whether a request reached `zone`'s decision: the zone charged it, or refused it itself
    (a request another zone refused first never reached this one)."""
    if charged(gw, r, zone):
        return True
    d, z, _ = full[r["request_id"]]
    return d == THROTTLE and z == zone["name"]


def hidden_by(gw, zone, truth, r):
    key, t = r["authorization"], r["t"]
    if zone["kind"] == "conn":
        near = [b for b in truth if b["source"] == "background" and b["authorization"] == key
                and b["decision"] != THROTTLE and b["t"] <= t < b["t_done"]]
    else:
        h = horizon_s(gw, zone)
        near = [b for b in truth if b["source"] == "background" and b["authorization"] == key
                and charged(gw, b, zone) and t - h < b["t"] <= t]
    c = Counter(b["client"] for b in near)
    return [{"client": k, "requests": v} for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]


def expectations(gw, truth):
    limited = [r for r in truth if r["authorization"] and not r["preflight"]]
    full = replay(gw, limited)
    browser = [r for r in limited if r["source"] == "browser"]
    out = []
    for r in browser:
        if not r["throttle"]:
            continue
        zname = full[r["request_id"]][1] if full[r["request_id"]][0] == THROTTLE else None
        zname = zname or r["zone"] or (gw["zone"] if gw["kind"] == "governor" else None)
        zone = zone_spec(gw, zname)
        mine = [b for b in browser if b["seq"] < r["seq"] and reached(gw, b, zone, full)] + [r]
        visible = replay(gw, mine, zname)[r["request_id"]][0] == THROTTLE
        what = {"req": "leaky bucket", "conn": "concurrency limit", "gcra": "GCRA bucket"}[zone["kind"]]
        if visible:
            cause, hb = "visible-traffic", []
            why = ("The browser's own requests that reached %s %s, replayed alone through a "
                   "fresh copy, are refused here too." % (what, zname))
        else:
            cause, hb = "hidden-traffic", hidden_by(gw, zone, truth, r)
            n = sum(x["requests"] for x in hb)
            why = ("Replayed alone, the browser's own requests pass %s %s; %d request(s) of the "
                   "same token from outside the capture used the budget." % (what, zname, n))
        out.append({"id": r["request_id"], "status": r["status"], "cause": cause, "layer": zname,
                    "kind": None, "hidden_by": hb, "why": why})
    return out, full


def self_check(gw, truth, full):
    """The full replay against the limiter's own decisions."""
    st = Counter()
    bad = []
    for r in truth:
        if not r["authorization"] or r["preflight"]:
            continue
        d, z, e = full[r["request_id"]]
        real = r["decision"]
        st["requests"] += 1
        same = (d == THROTTLE) == (real == THROTTLE)
        if gw["kind"] == "nginx" and real != THROTTLE:
            same = same and (d == "delayed") == (real == "delayed")
        if same and real == THROTTLE and r["zone"]:
            st["zone_known"] += 1
            st["zone_same"] += z == r["zone"]
        if same and r.get("excess_milli") is not None and e is not None:
            # nginx reads a monotonic millisecond clock, the log gives wall-clock milliseconds:
            # elapsed times may differ by 1 ms, i.e. the excess by one millisecond's leak
            zr = next(z for z in gw["zones"] if z["name"] == r["zone"])
            one_ms = nginx_rate_milli(zr["rate"]) // 1000
            st["excess_known"] += 1
            st["excess_same"] += e == r["excess_milli"]
            st["excess_within_1ms"] += abs(e - r["excess_milli"]) <= max(one_ms, 1)
        st["agree"] += same
        if not same:
            bad.append({"seq": r["seq"], "source": r["source"], "real": real, "oracle": d,
                        "t_rel_s": r["t_rel_s"], "excess_log": r.get("excess_milli"), "excess_oracle": e})
    return dict(st), bad


def load(dirpath, s):
    truth = [json.loads(line) for line in open(os.path.join(dirpath, s + ".truth.jsonl"))]
    cfg = json.load(open(os.path.join(dirpath, s + ".config.json")))
    return truth, cfg["effective_server_config"]["gateway"]


def run(dirpath, s):
    truth, gw = load(dirpath, s)
    exp, full = expectations(gw, truth)
    with open(os.path.join(dirpath, s + ".expect.jsonl"), "w") as f:
        for e in exp:
            f.write(json.dumps(e) + "\n")
    st, bad = self_check(gw, truth, full)
    causes = Counter(e["cause"] for e in exp)
    return {"scenario": s, "limiter": gw["kind"], "throttles": len(exp),
            "visible": causes["visible-traffic"], "hidden": causes["hidden-traffic"],
            "check": st, "disagreements": bad}


def scenarios(dirpath):
    return sorted(f[:-len(".truth.jsonl")] for f in os.listdir(dirpath) if f.endswith(".truth.jsonl"))


def main(argv):
    dirpath = argv[0]
    for s in argv[1:] or scenarios(dirpath):
        res = run(dirpath, s)
        c = res["check"]
        print("%s: %d throttles (%d visible, %d hidden); oracle agrees on %d/%d requests"
              % (s, res["throttles"], res["visible"], res["hidden"], c.get("agree", 0),
                 c.get("requests", 0)))
        for b in res["disagreements"]:
            print("   disagreement:", json.dumps(b))


if __name__ == "__main__":
    main(sys.argv[1:])
