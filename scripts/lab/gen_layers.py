"""Draws the limit half of a generated scenario: 1-4 documented layers and 0-2 undocumented
ones, each with an algorithm, a partition, a filter and numbers, plus the options that make
them hard (count_rejected, penalties, costs, disguises, documentation that states higher
numbers than enforced, per-layer response styles).

Numbers are sized from a dry run of the scenario's own traffic without limits (simulate.py):
for each layer the peak count the browser alone puts in one window (B) and the peak with
the hidden traffic (C).  A drawn role then places the limit: `visible` below B (the browser
alone crosses it), `together` in [B, C) (only browser and hidden traffic together cross
it), `slack` above C (it never fires).  Which roles, algorithms and windows come up is
random; GENERATOR.md has the ranges and why.
"""

import bisect
import collections
import math

import layers as layered
from gen_traffic import weighted

WINDOWS = [1, 2, 3, 5, 8, 10, 12, 15, 20, 30, 45, 60, 90, 120]
PARTITIONS = {"user": ["user"], "app.user": ["user", "client"], "token": ["token"],
              "endpoint": ["user", "method", "template"], "resource": ["user", "resource"],
              "org": ["org"]}


def short(template):
    lits = [s for s in template.strip("/").split("/")[2:] if not s.startswith("{")]
    return ".".join(lits[-2:]) if lits else "root"


class Traffic:
    """The dry run's requests, for measuring what a candidate layer would count."""

    def __init__(self, log):
        self.log = [l for l in log if l["user"] is not None]

    def points(self, layer):
        """key -> sorted [(t, cost, source, end)] of the requests the layer would count."""
        out = collections.defaultdict(list)
        for l in self.log:
            ident = {"user": l["user"], "client": l["client"], "token": l["token"]}
            if not layered.layer_applies(layer, l["method"], l["template"], ident):
                continue
            key = layered.key_of(layer, ident, l["method"], l["template"], l["path"].split("?")[0])
            cost = layered.cost_of(layer, l["method"])
            out[key].append((l["t"], cost, l["source"], l["t"] + l.get("busy_s", 0)))
        return out

    def peaks(self, layer, window):
        """(B, C): the most the browser alone / everything put in one window, seen at the
        browser's own arrivals, over all keys."""
        best_b = best_c = 0
        for pts in self.points(layer).values():
            pts.sort()
            ts = [p[0] for p in pts]
            cum_all = [0]
            cum_b = [0]
            for p in pts:
                cum_all.append(cum_all[-1] + p[1])
                cum_b.append(cum_b[-1] + (p[1] if p[2] == "browser" else 0))
            for i, p in enumerate(pts):
                if p[2] != "browser":
                    continue
                lo = bisect.bisect_right(ts, p[0] - window)
                best_b = max(best_b, cum_b[i + 1] - cum_b[lo])
                best_c = max(best_c, cum_all[i + 1] - cum_all[lo])
        return best_b, best_c

    def inflight(self, layer):
        """(B, C) for concurrency: requests in flight at a browser arrival, itself included."""
        best_b = best_c = 0
        for pts in self.points(layer).values():
            for t, _, src, _ in pts:
                if src != "browser":
                    continue
                live = [q for q in pts if q[0] <= t < q[3] or q[0] == t]
                best_b = max(best_b, sum(1 for q in live if q[2] == "browser"))
                best_c = max(best_c, len(live))
        return best_b, best_c


def busiest_slow(rng, slow, traffic, key):
    """The slow endpoint where the browser has the most requests in flight at once (a
    concurrency limit elsewhere could never fire); ties broken at random."""
    def overlap(ep):
        return traffic.inflight({"name": "probe", "match": {"method": ep[0], "template": ep[1]},
                                 "key": key})[0]
    return max(rng.sample(slow, len(slow)), key=overlap)


def place(rng, role, b, c):
    """A limit for a role from the peaks; returns (limit, role actually used)."""
    if role == "together" and c > b >= 1:
        # biased towards b: the closer the limit is to the browser's own peak, the more
        # often the hidden traffic tips it over
        return b + int((c - b) * rng.random() ** 2), "together"
    if role in ("visible", "together") and b >= 2:
        return max(1, int(b * rng.uniform(0.3, 0.95))), "visible"
    return int(math.ceil(max(c, 1) * rng.uniform(1.2, 3))) + 1, "slack"


def window_draw(rng, lo=1, hi=120):
    return rng.choice([w for w in WINDOWS if lo <= w <= hi])


def filter_draw(rng, endpoints, want_template=False):
    ep = rng.choice(endpoints)
    kind = "template" if want_template else weighted(rng, [(50, "all"), (15, "method"), (35, "template")])
    if kind == "all":
        return {}, "all", ep
    if kind == "method":
        return {"method": ep[0]}, ep[0].lower(), ep
    return {"method": ep[0], "template": ep[1]}, "%s.%s" % (short(ep[1]), ep[0].lower()), ep


def numbers(rng, layer, alg, role, traffic, window):
    """Fills the layer's numbers for its algorithm and role; returns the role used."""
    if alg == "concurrency":
        b, c = traffic.inflight(layer)
        limit, used = place(rng, role, b, c)
        layer["limit"] = max(1, limit)
        return used
    b, c = traffic.peaks(layer, window)
    limit, used = place(rng, role, b, c)
    if alg in ("token_bucket", "leaky_bucket", "gcra"):
        # a full bucket plus its refill over the horizon admits about twice the capacity
        cap = max(1, int(round(limit * rng.uniform(0.45, 0.75))))
        layer["capacity"] = cap
        layer["rate_per_s"] = max(0.05, round(cap / window, 2))
        if alg == "token_bucket" and rng.random() < 0.25:
            layer["refill_interval_s"] = rng.choice([i for i in (1, 2, 5, 10) if i <= max(1, window)])
    else:
        layer["limit"] = max(1, limit)
        layer["window_s"] = window
    return used


def set_algorithm(rng, layer, alg):
    if alg.startswith("fixed"):
        layer["algorithm"] = "fixed"
        layer["window_align"] = {"fixed-first": "first", "fixed-epoch": "epoch",
                                 "fixed-calendar": "calendar"}[alg]
        return "fixed"
    if alg == "concurrency":
        layer["kind"] = "concurrency"
        return alg
    if alg != "sliding":
        layer["algorithm"] = alg
    if alg == "sliding_counter" and rng.random() < 0.3:
        layer["admit_equal"] = False
    return alg


ALGS_DOC = [(20, "sliding"), (10, "fixed-first"), (10, "fixed-epoch"), (3, "fixed-calendar"),
            (15, "token_bucket"), (10, "leaky_bucket"), (10, "gcra"), (12, "sliding_counter"),
            (10, "concurrency")]


def documented_layer(rng, endpoints, slow, traffic, role, number):
    """A documented layer; for the `together` role, up to 8 draws look for a partition,
    filter and window that the hidden traffic shares with the browser."""
    for _ in range(8 if role == "together" else 1):
        layer, used = documented_draw(rng, endpoints, slow, traffic, role, number)
        if used == role:
            break
    return layer, used


def documented_draw(rng, endpoints, slow, traffic, role, number):
    alg = weighted(rng, ALGS_DOC)
    if alg == "concurrency" and not slow:
        alg = "sliding"
    scope = weighted(rng, [(30, "user"), (30, "app.user"), (10, "token"), (15, "endpoint"),
                           (10, "resource"), (5, "org")])
    if alg == "concurrency":
        scope = rng.choice(["user", "app.user"])
        ep = busiest_slow(rng, slow, traffic, PARTITIONS[scope])
        match, what = {"method": ep[0], "template": ep[1]}, "%s.%s" % (short(ep[1]), ep[0].lower())
    else:
        match, what, ep = filter_draw(rng, endpoints)
    layer = {"name": "%s.%s.%d" % (scope, what, number), "documented": True, "kind": "rate",
             "match": match, "key": PARTITIONS[scope],
             "description": "documented %s limit per %s" % (alg.replace("_", " "), scope)}
    base = set_algorithm(rng, layer, alg)
    window = 60 if alg == "fixed-calendar" else window_draw(rng)
    used = numbers(rng, layer, base, role, traffic, window)
    options(rng, layer, endpoints, documented=True)
    return layer, used


def undocumented_layer(rng, endpoints, slow, traffic, role, number, documented):
    kind = weighted(rng, [(25, "concurrency"), (35, "burst"), (20, "per-record"), (20, "long-rate")])
    with_ids = [e for e in endpoints if e[3]]
    if kind == "concurrency" and not slow:
        kind = "burst"
    if kind == "per-record" and not with_ids:
        kind = "burst"
    layer = {"documented": False, "kind": "rate"}
    if kind == "concurrency":
        ep = busiest_slow(rng, slow, traffic, ["user"])
        layer.update(match={"method": ep[0], "template": ep[1]}, key=["user"])
        alg, window = "concurrency", None
        what = "%s.%s" % (short(ep[1]), ep[0].lower())
        if rng.random() < 0.2:
            layer["min_age_s"] = rng.choice([0.2, 0.5, 1.0])
    elif kind == "per-record":
        ep = rng.choice(with_ids)
        layer.update(match={"method": ep[0], "template": ep[1]}, key=["user", "resource"])
        alg = rng.choice(["sliding", "fixed-epoch", "sliding"])
        window = window_draw(rng, 2, 10)
        what = "%s.%s" % (short(ep[1]), ep[0].lower())
    else:
        match, what, _ = filter_draw(rng, endpoints)
        layer.update(match=match, key=rng.choice([["user"], ["user", "client"]]))
        if kind == "burst":
            alg = rng.choice(["sliding", "fixed-epoch", "token_bucket", "gcra", "sliding_counter"])
            window = window_draw(rng, 1, 5)
        else:
            alg = rng.choice(["sliding", "fixed-first", "sliding_counter", "leaky_bucket"])
            window = window_draw(rng, 30, 120)
    scope = {("user",): "user", ("user", "client"): "app.user", ("user", "resource"): "resource"}[tuple(layer["key"])]
    layer = dict({"name": "%s.%s.%d" % (scope, what, number)}, **layer)
    layer["description"] = "undocumented %s limit (%s)" % (kind, alg.replace("_", " "))
    base = set_algorithm(rng, layer, alg)
    used = numbers(rng, layer, base, role, traffic, window)
    options(rng, layer, endpoints, documented=False)
    if documented and rng.random() < 0.4:
        layer["disguise_as"] = rng.choice(documented)["name"]
    return layer, used, kind


def options(rng, layer, endpoints, documented):
    """count_rejected, penalty, cost, a fixed Retry-After, wrong documentation."""
    if rng.random() < (0.25 if documented else 0.2):
        layer["count_rejected"] = True
    if rng.random() < (0.1 if documented else 0.15):
        layer["penalty_s"] = rng.choice([2, 5, 10, 20, 30])
    writes = sorted({e[0] for e in endpoints if e[4]})
    if writes and layer.get("kind") != "concurrency" and rng.random() < 0.15:
        layer["cost"] = {rng.choice(writes): rng.randint(2, 5)}
    if rng.random() < 0.12:
        layer["retry_after"] = rng.randint(1, 30)
    if not documented:
        return
    doc = {}
    if rng.random() < 0.5 and (layer.get("count_rejected") or rng.random() < 0.4):
        doc["count_rejected"] = bool(layer.get("count_rejected"))
    if rng.random() < 0.12:
        if "capacity" in layer:
            doc["capacity"] = int(layer["capacity"] * rng.uniform(1.5, 4)) + 1
        else:
            doc["limit"] = int(layer["limit"] * rng.uniform(1.5, 4)) + 1
    if doc:
        layer["documented_as"] = doc


def response_variant(rng, layer):
    """Sometimes one layer answers unlike the rest (an edge limiter in front of the API)."""
    if rng.random() >= 0.15:
        return
    status = weighted(rng, [(40, 503), (30, 429), (15, 403), (15, 200)])
    layer["throttle_status"] = status
    layer["body_style"] = "graphql" if status == 200 else \
        ("nginx_html" if status == 503 and rng.random() < 0.6 else rng.choice(["plain", "problem", "stated"]))
    if rng.random() < 0.5:
        layer["header_style"] = rng.choice(["none", "x-ratelimit", "ietf-draft08"])


def draw_layers(rng, dry_log, endpoints, slow, control):
    """The layers in check order and their roles {name: role}."""
    traffic = Traffic(dry_log)
    numbers_pool = rng.sample(range(10, 100), 8)
    documented, roles, hidden_kinds = [], {}, []
    role_table = [(35, "visible"), (35, "together"), (30, "slack")]
    for i in range(weighted(rng, [(30, 1), (35, 2), (25, 3), (10, 4)])):
        role = "slack" if control else weighted(rng, role_table)
        layer, used = documented_layer(rng, endpoints, slow, traffic, role, numbers_pool.pop())
        documented.append(layer)
        roles[layer["name"]] = used
    hidden = []
    if not control:
        for i in range(weighted(rng, [(50, 0), (38, 1), (12, 2)])):
            role = weighted(rng, [(60, "visible"), (40, "together")])
            layer, used, kind = undocumented_layer(rng, endpoints, slow, traffic, role,
                                                   numbers_pool.pop(), documented)
            hidden.append(layer)
            roles[layer["name"]] = used
            hidden_kinds.append(kind)
    out = documented + hidden
    rng.shuffle(out)
    for layer in out:
        response_variant(rng, layer)
    return out, roles, hidden_kinds
