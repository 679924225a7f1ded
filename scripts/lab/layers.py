"""The layered limit decision of the lab API, without HTTP and without a clock.

Owns: which layers apply to a request (`match`), its partition key (`key`), the check in
list order (the first exceeded layer answers, the others are `also_exceeded`), what gets
counted (admitted requests, plus refused ones in layers with `count_rejected`), per-method
costs, penalty boxes (`penalty_s`), concurrency slots and their release, and the numbers a
response shows.  The algorithms themselves are in limiters.py.

server.py calls `admit` under real time; expect.py replays logged traffic through fresh
instances.  Both get the same decisions for the same (order, time) sequence.
"""

import math
import re
import threading

import limiters


class Template:
    def __init__(self, tpl):
        self.tpl = tpl
        parts = []
        for seg in tpl.strip("/").split("/"):
            if seg.startswith("{") and seg.endswith("}"):
                parts.append("[^/]+")
            else:
                parts.append(re.escape(seg))
        self.rx = re.compile("^/" + "/".join(parts) + "/?$")
        self.literals = sum(1 for s in tpl.strip("/").split("/") if not s.startswith("{"))


def layer_applies(layer, method, template, ident=None):
    m = layer.get("match") or {}
    if m.get("method"):
        want = m["method"] if isinstance(m["method"], list) else [m["method"]]
        if method not in [x.upper() for x in want]:
            return False
    if m.get("template") and m["template"] != template:
        return False
    if m.get("template_prefix") and not (template or "").startswith(m["template_prefix"]):
        return False
    client = (ident or {}).get("client")
    if m.get("clients") is not None and client not in m["clients"]:
        return False
    if m.get("exclude_clients") and client in m["exclude_clients"]:
        return False
    return True


KEY_DIMENSIONS = ("user", "client", "token", "template", "method", "resource", "org")


def key_of(layer, ident, method, template, path):
    vals = []
    for k in layer.get("key", []):
        if k in ("user", "client", "token"):
            vals.append(ident[k])
        elif k == "template":
            vals.append(template)
        elif k == "method":
            vals.append(method)
        elif k == "resource":
            vals.append(path)
        elif k == "org":
            vals.append("org")
        else:
            raise ValueError("unknown key dimension %r" % k)
    return (layer["name"],) + tuple(vals)


def cost_of(layer, method):
    return int((layer.get("cost") or {}).get(method, 1))


def delay_429_s(cfg, layer):
    return float(layer.get("delay_429_ms", cfg.get("delay_429_ms", 0)) or 0) / 1000.0


def num(x):
    """Whole floats as ints, others rounded to the millisecond, for the truth log."""
    if isinstance(x, float):
        return int(x) if x == int(x) else round(x, 3)
    return x


class Layered:
    """All layer state behind one lock; `admit` is atomic."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.algos = {layer["name"]: limiters.make(layer) for layer in cfg["layers"]}
        self.blocked = {}  # (layer, key...) -> refused until (penalty box)
        self.seq = 0
        self.t0 = None
        self.templates = sorted((Template(t) for t in cfg["templates"]), key=lambda t: -t.literals)

    def template_of(self, path):
        for t in self.templates:
            if t.rx.match(path):
                return t.tpl
        return None

    def layer_by_name(self, name):
        for layer in self.cfg["layers"]:
            if layer["name"] == name:
                return layer
        return None

    def _check(self, layer, key, now, cost):
        """One layer's verdict, penalty box included: (snapshot entry, over, retry_after)."""
        alg = limiters.algorithm_of(layer)
        p = self.algos[layer["name"]].peek(key, now, cost)
        over, ra, in_penalty = p.over, p.retry_after, False
        pen = float(layer.get("penalty_s", 0) or 0)
        if pen:
            until = self.blocked.get(key, 0.0)
            if now < until:
                in_penalty = True
                ra = max(until - now, ra if over else 0.0)
                over = True
            elif over:
                self.blocked[key] = now + pen
                ra = max(ra, pen)
        st = {"layer": layer["name"], "kind": "concurrency" if alg == "concurrency" else "rate",
              "documented": bool(layer.get("documented")), "key": list(key[1:]),
              "count": num(p.count), "limit": num(p.limit)}
        if alg != "concurrency":
            st["window_s"] = layer.get("window_s")
            if alg != "sliding":
                st["algorithm"] = alg
        if alg in limiters.BUCKET_ALGORITHMS:
            st["capacity"] = num(float(layer["capacity"]))
            st["rate_per_s"] = num(float(layer["rate_per_s"]))
        for k, v in p.extra.items():
            st[k] = num(v)
        if cost != 1:
            st["cost"] = cost
        st["exceeded"] = over
        if over:
            st["retry_after_exact_s"] = round(ra, 3)
        st["reset_s"] = round(max(p.reset, ra) if pen and over else p.reset, 3)
        if pen:
            st["penalty"] = in_penalty
        return st, over, ra

    def admit(self, ident, method, template, path, now, processing_s=0.0):
        """The decision for one request arriving at `now`.  Returns a dict with `seq`,
        `snapshot` (one entry per applying layer), `counted_in`, `fired` ((layer, snapshot
        entry, exact Retry-After) of the first exceeded layer, or None), `admitted` and
        `held` (concurrency slots to give back with `release`)."""
        with self.lock:
            if self.t0 is None:
                self.t0 = now
            self.seq += 1
            seq = self.seq
            snapshot, exceeded, states = [], [], []
            # OPTIONS preflights carry no Authorization: never attributed, never counted
            if method != "OPTIONS" and ident is not None:
                for layer in self.cfg["layers"]:
                    if not layer_applies(layer, method, template, ident):
                        continue
                    key = key_of(layer, ident, method, template, path)
                    cost = cost_of(layer, method)
                    st, over, ra = self._check(layer, key, now, cost)
                    states.append((layer, key, cost))
                    snapshot.append(st)
                    if over:
                        exceeded.append((layer, st, ra))
            fired = exceeded[0] if exceeded else None
            counted_in, held = [], []
            for layer, key, cost in states:
                if fired is not None and not layer.get("count_rejected"):
                    continue
                algo = self.algos[layer["name"]]
                if isinstance(algo, limiters.Concurrency):
                    hold = processing_s if fired is None else delay_429_s(self.cfg, fired[0])
                    algo.commit(key, now, 1, flight=seq, expected_end=now + hold)
                    held.append((layer["name"], key))
                else:
                    algo.commit(key, now, cost)
                counted_in.append(layer["name"])
            return {"seq": seq, "snapshot": snapshot, "counted_in": counted_in,
                    "fired": fired, "admitted": fired is None, "held": held}

    def release(self, dec):
        """Frees the concurrency slots a request held; records after which admission."""
        if not dec["held"]:
            return
        with self.lock:
            for name, key in dec["held"]:
                self.algos[name].release(key, dec["seq"])
            dec["release_after_seq"] = self.seq

    def header_numbers(self, dec):
        """Numbers for the rate-limit headers: for a throttle, the layer that fired or the
        layer it is disguised as; otherwise `success_headers_layer`.  Returns
        {count, limit, remaining, reset, window, layer} or None."""
        if dec["fired"] is not None:
            layer, st, _ = dec["fired"]
            shown = layer
            if layer.get("disguise_as"):
                shown = self.layer_by_name(layer["disguise_as"]) or layer
            src = st
            if shown is not layer:
                src = next((s for s in dec["snapshot"] if s["layer"] == shown["name"]), None)
                if src is None:
                    src = dict(st, limit=shown_limit(shown))
            return numbers(src, shown)
        name = self.cfg.get("success_headers_layer")
        for s in dec["snapshot"]:
            if s["layer"] == name:
                return numbers(s, self.layer_by_name(name))
        return None


def shown_limit(layer):
    if limiters.algorithm_of(layer) in limiters.BUCKET_ALGORITHMS:
        return num(float(layer["capacity"]))
    return int(layer["limit"])


def numbers(st, layer):
    count = st["count"]
    count = int(count) if count == int(count) else math.ceil(count)
    limit = st["limit"]
    limit = int(limit) if limit == int(limit) else math.floor(limit)
    return {"count": count, "limit": limit, "remaining": max(0, limit - count),
            "reset": max(1, math.ceil(st["reset_s"])), "window": limiters.horizon_s(layer),
            "layer": layer}
