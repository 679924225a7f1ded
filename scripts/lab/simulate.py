"""Predicts what a scenario does without a browser, in simulated time.

Owns a small discrete-event imitation of page/lab.js (phases, streams, workers, pacing,
think time, the client-side limiter, the retry modes, Chromium's six connections per
origin) and of server.py's background traffic, both going through the server's own
limiter (layers.py).  generate.py uses it to size limits from the traffic a scenario will
make and to reject drawn scenarios that would not throttle; it is a forecast, the recording
is the truth.

    python3 simulate.py SCENARIO.json      # prints the predicted throttles per layer
"""

import heapq
import itertools
import json
import sys

import layers
from background import background_offsets

CONNECTIONS = 6      # Chromium's HTTP/1.1 connections per origin
NET_S = 0.003        # one way, loopback plus the browser's own overhead
PAGE_START_S = 0.4   # /__lab/start to the page's first phase


class Proc:
    def __init__(self, gen, parent=None):
        self.gen = gen
        self.parent = parent
        self.waiting = 0


class Sim:
    def __init__(self, scenario, cfg, t0=1_800_000_000.0):
        self.sc = scenario
        self.cfg = cfg
        self.lim = layers.Layered(cfg)
        self.t0 = t0
        self.now = t0
        self.heap = []
        self.tick = itertools.count()
        self.free_conns = CONNECTIONS
        self.conn_queue = []
        self.log = []  # dicts: t, source, token, method, path, throttled, layer, counted_in

    # -- scheduler ---------------------------------------------------------
    def at(self, t, fn, *args):
        heapq.heappush(self.heap, (t, next(self.tick), fn, args))

    def spawn(self, gen, parent=None, delay=0.0):
        p = Proc(gen, parent)
        if parent is not None:
            parent.waiting += 1
        self.at(self.now + delay, self.step, p, None)
        return p

    def step(self, p, value):
        try:
            cmd = p.gen.send(value)
        except StopIteration:
            if p.parent is not None:
                p.parent.waiting -= 1
                if p.parent.waiting == 0:
                    self.at(self.now, self.step, p.parent, None)
            return
        what = cmd[0]
        if what == "sleep":
            self.at(self.now + max(0.0, cmd[1]), self.step, p, None)
        elif what == "all":
            if not cmd[1]:
                self.at(self.now, self.step, p, None)
            for g in cmd[1]:
                self.spawn(g, parent=p)
        elif what == "req":
            self.browser_request(p, cmd[1], cmd[2], cmd[3])

    def run(self, until_s):
        end = self.t0 + until_s
        while self.heap and self.heap[0][0] <= end:
            t, _, fn, args = heapq.heappop(self.heap)
            self.now = max(self.now, t)
            fn(*args)

    # -- requests ------------------------------------------------------------
    def admit(self, token, method, path, source, hold):
        ident = dict(self.cfg["tokens"][token], token=token)
        tpl = self.lim.template_of(path)
        pm = self.cfg["processing_ms"]
        proc = float(pm.get("%s %s" % (method, tpl), pm.get("default", 0)) or 0) / 1000.0
        dec = self.lim.admit(ident, method, tpl, path, self.now, proc if hold else 0.0)
        fired = dec["fired"]
        ra = None
        if fired:
            layer = fired[0]
            if layer.get("retry_after_header", self.cfg.get("retry_after_header", True)):
                mode = layer.get("retry_after", "exact")
                ra = int(mode) if isinstance(mode, (int, float)) else max(1, int(-(-fired[2] // 1)))
            busy = layers.delay_429_s(self.cfg, layer)
        else:
            busy = proc
        self.log.append({"seq": dec["seq"], "source": source, "t": self.now,
                         "t_done": self.now + busy, "busy_s": busy, "method": method,
                         "path": path, "template": tpl, "preflight": False,
                         "token": token, "user": ident["user"], "client": ident["client"],
                         "status": 429 if fired else 200, "throttled": fired is not None,
                         "correlation_id": "sim-%d" % dec["seq"],
                         "counted_in": dec["counted_in"],
                         "layer": fired[0]["name"] if fired else None,
                         "layer_documented": bool(fired[0].get("documented")) if fired else None,
                         "layers": dec["snapshot"], "_dec": dec})
        return dec, busy, ra

    def browser_request(self, p, token, method, path):
        def go():
            self.free_conns -= 1
            arrive = self.now + NET_S
            self.at(arrive, served)

        def served():
            dec, busy, ra = self.admit(token, method, path, "browser", True)
            self.at(self.now + busy, done, dec, ra)

        def done(dec, ra):
            self.lim.release(dec)
            self.at(self.now + NET_S, back, dec, ra)

        def back(dec, ra):
            self.free_conns += 1
            if self.conn_queue:
                self.conn_queue.pop(0)()
            self.step(p, {"throttled": not dec["admitted"], "retry_after": ra})

        if self.free_conns > 0:
            go()
        else:
            self.conn_queue.append(go)

    # -- background (server.py's background_worker) ---------------------------
    def background(self, spec, index):
        import random
        rng = random.Random(spec.get("seed", 1000 + index))
        offsets = background_offsets(spec, rng)
        paths = spec.get("paths") or [spec.get("path", "/api/v2/users/me")]
        start = self.t0 + float(spec.get("start_s", 0))
        end = start + float(spec.get("duration_s", 60))
        method = spec.get("method", "GET").upper()
        hold = bool(spec.get("hold"))
        for n in itertools.count():
            t = start + next(offsets)
            if t >= end:
                return
            self.at(t, self.background_one, spec["token"], method, paths[n % len(paths)], hold)

    def background_one(self, token, method, path, hold):
        dec, busy, _ = self.admit(token, method, path, "background", hold)
        if hold and dec["held"] and busy:
            self.at(self.now + busy, self.lim.release, dec)
        else:
            self.lim.release(dec)

    # -- lab.js ------------------------------------------------------------------
    def page(self):
        for ph in self.sc["client"]["phases"]:
            if ph.get("pause_before_ms"):
                yield ("sleep", ph["pause_before_ms"] / 1000.0)
            yield ("all", [self.stream(s) for s in ph["streams"]])

    def stream(self, st):
        if st.get("start_delay_ms"):
            yield ("sleep", st["start_delay_ms"] / 1000.0)
        state = {"next": 0, "t0": self.now, "stamps": [], "paused_until": 0.0,
                 "deadline": self.now + float(st.get("max_duration_s", 110))}
        yield ("all", [self.worker(st, state) for _ in range(int(st.get("concurrency", 1)))])

    def worker(self, st, state):
        ids = st.get("ids") or ["x"]
        while True:
            u = state["next"]
            state["next"] += 1
            if u >= int(st.get("units", 1)) or self.now > state["deadline"]:
                return
            if st.get("interval_ms"):
                due = state["t0"] + u * st["interval_ms"] / 1000.0
                if due > self.now:
                    yield ("sleep", due - self.now)
            for op in st["ops"]:
                if op.get("pause_before_ms"):
                    yield ("sleep", op["pause_before_ms"] / 1000.0)
                path = subst(op["path"], ids[u % len(ids)], u)
                ok = yield from self.attempts(st, state, op["method"].upper(), path)
                if not ok and st.get("stop_unit_on_error"):
                    break

    def attempts(self, st, state, method, path):
        retry = dict({"mode": "honour", "max_retries": 5, "fallback_ms": 2000}, **(st.get("retry") or {}))
        lim = st.get("limiter") or {}
        for attempt in itertools.count():
            if lim.get("limit"):
                while True:
                    if self.now < state["paused_until"]:
                        yield ("sleep", state["paused_until"] - self.now)
                        continue
                    w = float(lim.get("window_s", 60))
                    state["stamps"] = [t for t in state["stamps"] if t > self.now - w]
                    if len(state["stamps"]) < lim["limit"]:
                        state["stamps"].append(self.now)
                        break
                    yield ("sleep", state["stamps"][0] + w - self.now + 0.001)
            elif self.now < state["paused_until"]:
                yield ("sleep", state["paused_until"] - self.now)
            r = yield ("req", st["token"], method, path)
            if not r["throttled"]:
                return True
            if retry["mode"] == "none" or attempt >= retry["max_retries"]:
                return False
            if retry["mode"] == "immediate":
                if retry.get("delay_ms"):
                    yield ("sleep", retry["delay_ms"] / 1000.0)
                continue
            wait = (r["retry_after"] * 1000 if r["retry_after"] is not None else retry["fallback_ms"])
            wait = (wait + retry.get("extra_ms", 0)) / 1000.0
            if retry.get("pause_stream"):
                state["paused_until"] = max(state["paused_until"], self.now + wait)
            yield ("sleep", wait)


def subst(path, ident, i):
    return path.replace("{id}", str(ident)).replace("{i}", str(i)).replace("{n}", str(i + 1))


def simulate(scenario, cfg, t0=1_800_000_000.0):
    """Runs the scenario; returns its request log as truth-like lines (the fields
    expect.py reads), browser and background, in arrival order."""
    sim = Sim(scenario, cfg, t0)
    for i, spec in enumerate(cfg.get("background", [])):
        sim.background(spec, i)
    sim.spawn(sim.page(), delay=PAGE_START_S)
    sim.run(float(scenario.get("max_duration_s", 120)) + 30)
    for line in sim.log:
        dec = line.pop("_dec")
        if "release_after_seq" in dec:
            line["release_after_seq"] = dec["release_after_seq"]
    return sim.log


def summary(log):
    out = {"browser_requests": 0, "browser_throttles": {}, "background_requests": 0}
    for r in log:
        if r["source"] == "browser":
            out["browser_requests"] += 1
            if r["throttled"]:
                out["browser_throttles"][r["layer"]] = out["browser_throttles"].get(r["layer"], 0) + 1
        else:
            out["background_requests"] += 1
    return out


if __name__ == "__main__":
    from server import effective_config
    sc = json.load(open(sys.argv[1]))
    print(json.dumps(summary(simulate(sc, effective_config(sc))), indent=1))
