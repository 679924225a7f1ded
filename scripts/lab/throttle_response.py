"""What a throttle (and a success) of the lab API looks like on the wire.

Owns the rate-limit header styles (on throttles and on successes) and the throttle body
styles.  No state: layers.py supplies the numbers (`layers.numbers`), server.py sends.

Header styles: `inin` (Genesys), `x-ratelimit` (reset as delta or epoch seconds), the IETF
RateLimit drafts by generation (`ietf-draft03`, `ietf-draft06`, `ietf-draft07`,
`ietf-draft08`) and `none`.  Body styles: `legacy`, `normalized` (Genesys), `plain`,
`problem` (RFC 9457 problem+json), `nginx_html`, `graphql` (200 THROTTLED) and `stated`.
"""

import json
import math

import limiters

HEADER_STYLES = ("inin", "x-ratelimit", "ietf-draft03", "ietf-draft06", "ietf-draft07",
                 "ietf-draft08", "none")
BODY_STYLES = ("legacy", "normalized", "plain", "problem", "nginx_html", "graphql", "stated")
THROTTLE_STATUSES = (429, 503, 403, 200)
RESET_FORMATS = ("delta", "epoch")

HEADER_NAMES = {
    "inin": ["inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset"],
    "x-ratelimit": ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
    "ietf-draft03": ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
    "ietf-draft06": ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                     "RateLimit-Policy"],
    "ietf-draft07": ["RateLimit", "RateLimit-Policy"],
    "ietf-draft08": ["RateLimit", "RateLimit-Policy"],
    "none": [],
}

REASONS = {429: "Too Many Requests", 503: "Service Temporarily Unavailable", 403: "Forbidden",
           200: "OK"}


def window_of(n):
    """Whole seconds of the shown layer's horizon, None for concurrency."""
    w = n["window"]
    return None if w is None else max(1, int(math.ceil(w - 1e-9)))


def policy_item(n):
    w = window_of(n)
    return "%d;w=%d" % (n["limit"], w) if w else "%d" % n["limit"]


def ratelimit_headers(style, n, now, reset_format="delta"):
    """(name, value) pairs for the numbers `n` (layers.numbers) in a header style."""
    c, lim, rem, rst = n["count"], n["limit"], n["remaining"], n["reset"]
    if style == "inin":
        return [("inin-ratelimit-count", str(c)), ("inin-ratelimit-allowed", str(lim)),
                ("inin-ratelimit-reset", str(rst))]
    if style == "x-ratelimit":
        reset = str(int(now + rst)) if reset_format == "epoch" else str(rst)
        return [("X-RateLimit-Limit", str(lim)), ("X-RateLimit-Remaining", str(rem)),
                ("X-RateLimit-Reset", reset)]
    if style in ("ietf-draft03", "ietf-draft06"):
        out = [("RateLimit-Limit", str(lim)), ("RateLimit-Remaining", str(rem)),
               ("RateLimit-Reset", str(rst))]
        if style == "ietf-draft06":
            out.append(("RateLimit-Policy", policy_item(n)))
        return out
    if style == "ietf-draft07":
        return [("RateLimit", "limit=%d, remaining=%d, reset=%d" % (lim, rem, rst)),
                ("RateLimit-Policy", policy_item(n))]
    if style == "ietf-draft08":
        name = n["layer"]["name"]
        w = window_of(n)
        policy = '"%s";q=%d' % (name, lim) + (";w=%d" % w if w else ';qu="concurrent-requests"')
        return [("RateLimit-Policy", policy), ("RateLimit", '"%s";r=%d;t=%d' % (name, rem, rst))]
    return []


def exposed_headers(cfg):
    """Access-Control-Expose-Headers: the historic list, plus the header names of every
    other style the scenario uses (so old scenarios send exactly what they always did)."""
    out = ["Retry-After", "inin-ratelimit-count", "inin-ratelimit-allowed",
           "inin-ratelimit-reset", "inin-correlation-id", "Content-Length"]
    styles = {cfg.get("header_style", "inin")} | {l.get("header_style", "inin") for l in cfg["layers"]}
    for style in HEADER_STYLES:
        if style in styles:
            out += [h for h in HEADER_NAMES[style] if h not in out]
    return out


def stated_numbers(layer):
    """(N, W) a message states for a layer: W is the window, a bucket's capacity / rate,
    and 60 for concurrency (the lab's historic legacy wording)."""
    alg = limiters.algorithm_of(layer)
    if alg == "concurrency":
        return int(layer["limit"]), 60
    if alg in limiters.BUCKET_ALGORITHMS:
        return int(float(layer["capacity"])), max(1, int(round(limiters.horizon_s(layer))))
    return int(layer["limit"]), int(layer.get("window_s", 60))


def throttle_body(style, shown, cid, status, retry_after):
    """(Content-Type, body bytes) of a throttle in a body style; `shown` is the layer whose
    numbers and message the throttle shows (the one that fired, or its disguise)."""
    js = "application/json; charset=UTF-8"
    if style == "normalized":
        # Genesys Cloud's normalized 429 (all APIs since 2021-11-10)
        return js, dump({
            "message": "Rate limit exceeded the maximum. Retry the request in [%d] seconds"
                       % int(retry_after),
            "code": "too.many.requests.retry.after", "status": status, "contextId": cid,
            "details": [], "errors": []})
    n, w = stated_numbers(shown)
    if style == "legacy":
        msg = shown.get("message") or \
            "Rate limit exceeded the maximum [%d] requests within [%d] seconds" % (n, w)
        return js, dump({"message": msg, "code": "too.many.requests", "status": status,
                         "messageParams": {}, "contextId": cid, "details": [], "errors": []})
    if style == "plain":
        return js, dump({"error": "rate_limited", "message": "Too many requests"})
    if style == "stated":
        if limiters.algorithm_of(shown) == "concurrency":
            msg = "Too many concurrent requests: maximum [%d] requests in flight" % n
        else:
            msg = "Request limit reached: maximum [%d] requests within [%d] seconds" % (n, w)
        return js, dump({"error": "rate_limited", "message": shown.get("message") or msg})
    if style == "problem":
        return "application/problem+json", dump({
            "type": "https://iana.org/assignments/http-problem-types#quota-exceeded",
            "title": "Request cannot be satisfied as assigned quota has been exceeded",
            "status": status, "violated-policies": [shown["name"]]})
    if style == "nginx_html":
        title = "%d %s" % (status, REASONS.get(status, "Error"))
        page = ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n"
                "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n") % (title, title)
        return "text/html", page.encode()
    if style == "graphql":
        return js, dump({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]})
    raise ValueError("unknown body_style %r" % style)


def dump(obj):
    return json.dumps(obj).encode()
