"""One class per limit algorithm of the lab API, keyed state included, no I/O.

Owns how a single layer decides: `peek` says whether one more request of a cost would be
refused now (with the exact Retry-After and the numbers the layer shows), `commit` records a
request the layer counts.  The layered decision (which layers apply, in which order, what is
counted, penalties) is in layers.py; server.py and expect.py both use these classes, so the
oracle that computes the expected answers decides exactly like the server.

Every method takes `now` (epoch seconds) from the caller; nothing reads the clock, so a
replay of the logged arrival times in the logged order reproduces every decision.
"""

import math


class Peek:
    """What one layer says about one request: `count` is the budget used including this
    request (requests in the window, bucket level, estimated count, requests in flight),
    `limit` what `count` may reach, `over` whether the request is refused, `retry_after`
    the exact seconds until it would be admitted, `reset` the seconds until the layer is
    back to its full budget (or the window ends), `extra` algorithm-specific truth fields."""

    __slots__ = ("count", "limit", "over", "retry_after", "reset", "extra")

    def __init__(self, count, limit, over, retry_after, reset, extra=None):
        self.count = count
        self.limit = limit
        self.over = over
        self.retry_after = retry_after
        self.reset = reset
        self.extra = extra or {}


class SlidingLog:
    """A sliding-window log: the costs of counted requests with now - window < t <= now."""

    def __init__(self, layer):
        self.limit = int(layer["limit"])
        self.window = float(layer["window_s"])
        self.logs = {}  # key -> list of [t, cost], oldest first

    def _prune(self, key, now):
        ts = self.logs.setdefault(key, [])
        cut = now - self.window
        i = 0
        while i < len(ts) and ts[i][0] <= cut:
            i += 1
        if i:
            del ts[:i]
        return ts

    def peek(self, key, now, cost=1):
        ts = self._prune(key, now)
        used = sum(c for _, c in ts)
        over = used + cost > self.limit
        ra = 0.0
        if over:
            # time until enough of the oldest entries leave the window
            need = used + cost - self.limit
            freed = 0
            ra = self.window
            for t, c in ts:
                freed += c
                if freed >= need:
                    ra = t + self.window - now
                    break
        reset = (ts[0][0] + self.window - now) if ts else self.window
        return Peek(used + cost, self.limit, over, ra, reset)

    def commit(self, key, now, cost=1):
        self._prune(key, now).append([now, cost])


class FixedWindow:
    """A counter that restarts at window boundaries.  `window_align`: `epoch` (multiples of
    the window since the Unix epoch), `first` (a window opens at the first counted request
    after the previous one ended) or `calendar` (UTC calendar units of 1 s, 1 min, 1 h or
    1 d, shifted by `tz_offset_min` minutes)."""

    def __init__(self, layer):
        self.limit = int(layer["limit"])
        self.window = float(layer["window_s"])
        self.align = layer.get("window_align", "epoch")
        self.offset = 60.0 * float(layer.get("tz_offset_min", 0)) if self.align == "calendar" else 0.0
        self.state = {}  # key -> (window_start, used)

    def _current(self, key, now):
        start, used = self.state.get(key, (None, 0))
        if start is None or now >= start + self.window:
            used = 0
            if self.align == "first":
                start = now
            elif self.align == "calendar":
                local = now + self.offset
                start = local - (local % self.window) - self.offset
            else:
                start = now - (now % self.window)
        return start, used

    def peek(self, key, now, cost=1):
        start, used = self._current(key, now)
        reset = start + self.window - now
        return Peek(used + cost, self.limit, used + cost > self.limit, reset, reset)

    def commit(self, key, now, cost=1):
        start, used = self._current(key, now)
        self.state[key] = (start, used + cost)


class SlidingCounter:
    """The previous fixed window's count weighted by the share of it still inside the sliding
    window, plus the current window's count (Kong advanced, Cloudflare).  Windows are epoch
    multiples.  `admit_equal` (default true) admits an estimate that lands exactly on the
    limit."""

    def __init__(self, layer):
        self.limit = int(layer["limit"])
        self.window = float(layer["window_s"])
        self.admit_equal = bool(layer.get("admit_equal", True))
        self.state = {}  # key -> [window_index, prev, cur]

    def _roll(self, key, now):
        w = math.floor(now / self.window)
        st = self.state.get(key)
        if st is None:
            st = [w, 0, 0]
        elif st[0] != w:
            st = [w, st[2] if w == st[0] + 1 else 0, 0]
        self.state[key] = st
        return st

    def _refuses(self, est):
        return est > self.limit if self.admit_equal else est >= self.limit

    def peek(self, key, now, cost=1):
        w, prev, cur = self._roll(key, now)
        start = w * self.window
        elapsed = now - start
        est = prev * (self.window - elapsed) / self.window + cur
        over = self._refuses(est + cost)
        ra = 0.0
        if over:
            room = self.limit - cost - cur  # what the weighted previous window may still be
            if room >= 0 and prev > 0:
                # prev * (W - x) / W <= room  ->  x >= W * (1 - room / prev)
                ra = start + self.window * (1 - room / prev) - now
            elif self.limit - cost >= 0:
                # wait for the next window; then cur becomes prev
                room = self.limit - cost
                x = self.window * (1 - room / cur) if cur > 0 else 0.0
                ra = start + self.window + max(0.0, x) - now
            else:
                ra = 2 * self.window
            ra = max(ra, 0.0)
        return Peek(round(est + cost, 6), self.limit, over, ra, start + self.window - now,
                    {"estimate": round(est, 3), "previous_count": prev, "current_count": cur})

    def commit(self, key, now, cost=1):
        self._roll(key, now)[2] += cost


class TokenBucket:
    """Starts full at `capacity`, refills at `rate_per_s` continuously or, with
    `refill_interval_s`, in steps of rate*interval at multiples of the interval since the
    Unix epoch.  Admits when the bucket holds at least the cost."""

    def __init__(self, layer):
        self.capacity = float(layer["capacity"])
        self.rate = float(layer["rate_per_s"])
        self.interval = float(layer["refill_interval_s"]) if layer.get("refill_interval_s") else None
        self.state = {}  # key -> [tokens, last]

    def _refill(self, key, now):
        st = self.state.get(key)
        if st is None:
            st = [self.capacity, now]
        elif now > st[1]:
            if self.interval:
                steps = math.floor(now / self.interval) - math.floor(st[1] / self.interval)
                st[0] = min(self.capacity, st[0] + steps * self.rate * self.interval)
            else:
                st[0] = min(self.capacity, st[0] + (now - st[1]) * self.rate)
            st[1] = now
        self.state[key] = st
        return st

    def _time_to(self, tokens_have, tokens_want, now):
        missing = tokens_want - tokens_have
        if missing <= 0:
            return 0.0
        if self.interval:
            steps = math.ceil(missing / (self.rate * self.interval) - 1e-9)
            return (math.floor(now / self.interval) + steps) * self.interval - now
        return missing / self.rate

    def peek(self, key, now, cost=1):
        tok = self._refill(key, now)[0]
        over = tok < cost
        ra = self._time_to(tok, cost, now) if over else 0.0
        after = tok if over else tok - cost
        return Peek(round(self.capacity - tok + cost, 6), self.capacity, over, ra,
                    self._time_to(after, self.capacity, now),
                    {"level": round(tok, 3), "level_is": "tokens available"})

    def commit(self, key, now, cost=1):
        self._refill(key, now)[0] -= cost


class LeakyBucket:
    """A level leaking at `rate_per_s`; admits when level + cost <= `capacity`."""

    def __init__(self, layer):
        self.capacity = float(layer["capacity"])
        self.rate = float(layer["rate_per_s"])
        self.state = {}  # key -> [level, last]

    def _leak(self, key, now):
        st = self.state.get(key)
        if st is None:
            st = [0.0, now]
        elif now > st[1]:
            st[0] = max(0.0, st[0] - (now - st[1]) * self.rate)
            st[1] = now
        self.state[key] = st
        return st

    def peek(self, key, now, cost=1):
        level = self._leak(key, now)[0]
        over = level + cost > self.capacity
        ra = (level + cost - self.capacity) / self.rate if over else 0.0
        after = level if over else level + cost
        return Peek(round(level + cost, 6), self.capacity, over, ra, after / self.rate,
                    {"level": round(level, 3), "level_is": "bucket level"})

    def commit(self, key, now, cost=1):
        self._leak(key, now)[0] += cost


class Gcra:
    """Generic cell rate algorithm: emission interval T = 1/rate_per_s, burst tolerance
    capacity*T; admits when the new theoretical arrival time is at most capacity*T ahead."""

    def __init__(self, layer):
        self.capacity = float(layer["capacity"])
        self.t = 1.0 / float(layer["rate_per_s"])
        self.tat = {}  # key -> theoretical arrival time

    def peek(self, key, now, cost=1):
        tat = max(self.tat.get(key, now), now)
        new = tat + cost * self.t
        tau = self.capacity * self.t
        over = new - now > tau + 1e-9
        ra = new - tau - now if over else 0.0
        return Peek(round((new - now) / self.t, 6), self.capacity, over, max(ra, 0.0),
                    (tat if over else new) - now,
                    {"level": round((tat - now) / self.t, 3), "level_is": "units ahead (tat)"})

    def commit(self, key, now, cost=1):
        self.tat[key] = max(self.tat.get(key, now), now) + cost * self.t


class Concurrency:
    """Requests in flight.  With `min_age_s`, only those in flight for at least that long
    count.  Retry-After: the layer's `retry_after_s` (default 1, the lab's historic
    behaviour), or with `retry_after: "exact"` the time until a slot frees, from the
    expected ends of the requests in flight."""

    def __init__(self, layer):
        self.limit = int(layer["limit"])
        self.min_age = float(layer.get("min_age_s", 0))
        self.exact = layer.get("retry_after") == "exact"
        self.fixed_ra = float(layer.get("retry_after_s", 1))
        self.flights = {}  # key -> {flight id: (start, expected_end)}

    def peek(self, key, now, cost=1):
        fl = self.flights.get(key, {})
        # (without a min age every flight counts, even one whose arrival time is a few
        # microseconds after this request's: it took the limiter's lock first)
        cur = sum(1 for s, _ in fl.values() if not self.min_age or now - s >= self.min_age)
        over = cur + 1 > self.limit
        ra = self.fixed_ra
        if over and self.exact:
            ends = sorted(e for _, e in fl.values() if e is not None and e > now)
            for e in ends:
                aged = sum(1 for s, e2 in fl.values() if e - s >= self.min_age and (e2 is None or e2 > e))
                if aged + 1 <= self.limit:
                    ra = e - now
                    break
        return Peek(cur + 1, self.limit, over, ra, ra,
                    {"in_flight": len(fl)} if self.min_age else None)

    def commit(self, key, now, cost=1, flight=None, expected_end=None):
        self.flights.setdefault(key, {})[flight] = (now, expected_end)

    def release(self, key, flight):
        fl = self.flights.get(key)
        if fl is not None:
            fl.pop(flight, None)


WINDOW_ALGORITHMS = ("sliding", "fixed", "sliding_counter")
BUCKET_ALGORITHMS = ("token_bucket", "leaky_bucket", "gcra")
ALGORITHMS = {
    "sliding": SlidingLog,
    "fixed": FixedWindow,
    "sliding_counter": SlidingCounter,
    "token_bucket": TokenBucket,
    "leaky_bucket": LeakyBucket,
    "gcra": Gcra,
    "concurrency": Concurrency,
}


def algorithm_of(layer):
    """The algorithm name of a layer (`kind: concurrency` is the `concurrency` algorithm)."""
    if layer.get("kind", "rate") == "concurrency":
        return "concurrency"
    return layer.get("algorithm", "sliding")


def make(layer):
    return ALGORITHMS[algorithm_of(layer)](layer)


def horizon_s(layer):
    """The time scale of a layer: its window, or for a bucket capacity / rate (None for
    concurrency).  `undocumented-limit` kinds use it: 10 s or less is a burst limit."""
    alg = algorithm_of(layer)
    if alg == "concurrency":
        return None
    if alg in BUCKET_ALGORITHMS:
        return float(layer["capacity"]) / float(layer["rate_per_s"])
    return float(layer["window_s"])
