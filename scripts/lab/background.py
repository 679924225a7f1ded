"""When background ("hidden") requests are sent: the send-time patterns of server.py's
background specs, shared with simulate.py so the forecast sends at the same offsets."""


def background_offsets(spec, rng):
    """Send times (seconds after the spec's start) of a background spec, endless.
    `steady`: every 1/rate_per_s; `ramp`: the rate moves linearly from rate_per_s to
    rate_end_per_s over duration_s; `bursty`: burst_size requests burst_gap_ms apart every
    burst_every_s.  jitter j spreads each gap uniformly over [1-j, 1+j]."""
    pattern = spec.get("pattern", "steady")
    jitter = float(spec.get("jitter", 0))
    wobble = (lambda: rng.uniform(1 - jitter, 1 + jitter)) if jitter else (lambda: 1.0)
    t = 0.0
    if pattern == "bursty":
        size = int(spec["burst_size"])
        gap = float(spec.get("burst_gap_ms", 0)) / 1000.0
        every = float(spec["burst_every_s"])
        while True:
            for i in range(size):
                yield t + i * gap
            t += every * wobble()
    rate = float(spec["rate_per_s"])
    end_rate = float(spec.get("rate_end_per_s", rate)) if pattern == "ramp" else rate
    duration = float(spec.get("duration_s", 60))
    while True:
        yield t
        r = rate + (end_rate - rate) * min(1.0, t / duration) if duration else rate
        t += (1.0 / r) * wobble()
