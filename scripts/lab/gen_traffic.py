"""Draws the traffic half of a generated scenario: who calls (users, OAuth clients, JWT or
opaque tokens), which endpoints, how the browser calls them (phases, streams, pacing,
parallelism, retries), what hidden traffic runs beside it, and how the API answers
(throttle status, header and body styles, 429 delay, CORS caching).

Every function takes the scenario's random.Random and nothing else random, so a seed fixes
the draw.  The ranges and their reasons are in GENERATOR.md.
"""

import base64
import json
import math

# (method, template, concrete path with {id}, id prefix, write, can be slow)
ENDPOINTS = [
    ("GET", "/api/v2/users/{userId}/presences/purecloud", "/api/v2/users/{id}/presences/purecloud", "u", False, False),
    ("PATCH", "/api/v2/users/{userId}/presences/purecloud", "/api/v2/users/{id}/presences/purecloud", "u", True, False),
    ("GET", "/api/v2/users/{userId}/queues", "/api/v2/users/{id}/queues", "u", False, False),
    ("GET", "/api/v2/routing/queues/{queueId}/members", "/api/v2/routing/queues/{id}/members", "q", False, False),
    ("GET", "/api/v2/routing/queues/{queueId}/estimatedwaittime", "/api/v2/routing/queues/{id}/estimatedwaittime", "q", False, False),
    ("POST", "/api/v2/analytics/conversations/details/query", "/api/v2/analytics/conversations/details/query", None, True, True),
    ("POST", "/api/v2/analytics/queues/observations/query", "/api/v2/analytics/queues/observations/query", None, True, True),
    ("POST", "/api/v2/analytics/users/aggregates/query", "/api/v2/analytics/users/aggregates/query", None, True, True),
    ("GET", "/api/v2/conversations/{conversationId}", "/api/v2/conversations/{id}", "c", False, False),
    ("GET", "/api/v2/externalcontacts/contacts", "/api/v2/externalcontacts/contacts?pageNumber={n}", None, False, False),
    ("POST", "/api/v2/externalcontacts/contacts", "/api/v2/externalcontacts/contacts", None, True, False),
    ("PUT", "/api/v2/externalcontacts/contacts/{contactId}", "/api/v2/externalcontacts/contacts/{id}", "ct", True, False),
    ("GET", "/api/v2/architect/schedules/{scheduleId}", "/api/v2/architect/schedules/{id}", "s", False, False),
    ("PUT", "/api/v2/architect/schedules/{scheduleId}", "/api/v2/architect/schedules/{id}", "s", True, True),
    ("PUT", "/api/v2/architect/ivrs/{ivrId}", "/api/v2/architect/ivrs/{id}", "ivr", True, True),
    ("GET", "/api/v2/flows/{flowId}", "/api/v2/flows/{id}", "f", False, False),
    ("POST", "/api/v2/outbound/contactlists/{contactListId}/contacts", "/api/v2/outbound/contactlists/{id}/contacts", "cl", True, True),
    ("GET", "/api/v2/scripts/{scriptId}", "/api/v2/scripts/{id}", "sc", False, False),
    ("GET", "/api/v2/users", "/api/v2/users?pageNumber={n}", None, False, False),
    ("GET", "/api/v2/knowledge/knowledgebases/{knowledgeBaseId}/documents", "/api/v2/knowledge/knowledgebases/{id}/documents", "kb", False, False),
    ("GET", "/api/v2/telephony/providers/edges/phones/{phoneId}", "/api/v2/telephony/providers/edges/phones/{id}", "ph", False, False),
]
# what other tabs and integrations typically poll
BACKGROUND_PATHS = ["/api/v2/notifications/channels", "/api/v2/conversations", "/api/v2/routing/queues",
                    "/api/v2/presence/definitions", "/api/v2/groups", "/api/v2/routing/skills"]
NAMES = ["amara", "bo", "chen", "dara", "emeka", "farah", "goran", "hana", "ines", "jonas", "kai",
         "lena", "mateo", "nadia", "omar", "petra", "quinn", "rosa", "sven", "tala", "uma", "viktor"]
APPS = ["crm-sync", "wallboard", "bulk-loader", "qa-review", "wfm-planner", "report-export",
        "agent-desktop", "ivr-admin", "survey-bot", "contact-importer"]
HIDDEN_APPS = ["gc-web-ui", "mobile-app", "speech-analytics", "data-exporter", "sso-helper"]


def weighted(rng, table):
    """table: [(weight, value)]."""
    x = rng.random() * sum(w for w, _ in table)
    for w, v in table:
        x -= w
        if x < 0:
            return v
    return table[-1][1]


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt(rng, user, client):
    """An unsigned JWT-shaped token: readable `sub` and `client_id`, a fake signature."""
    iat = 1_790_000_000 + rng.randrange(10_000_000)
    payload = {"iss": "https://login.lab.invalid", "sub": user, "client_id": client,
               "iat": iat, "exp": iat + 86400, "jti": "%016x" % rng.getrandbits(64)}
    sig = base64.urlsafe_b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode().rstrip("=")
    return "%s.%s.%s" % (b64({"alg": "RS256", "typ": "JWT", "kid": "lab"}), b64(payload), sig)


class Identities:
    """Users, clients and tokens of one scenario; `tokens` is server.py's token map."""

    def __init__(self, rng):
        self.rng = rng
        self.jwt_share = weighted(rng, [(5, 1.0), (3, 0.0), (2, 0.5)])
        self.tokens = {}
        names = rng.sample(NAMES, 6)
        self.names = iter(names)
        self.users = []

    def token(self, user, client):
        if self.rng.random() < self.jwt_share:
            tok = jwt(self.rng, user, client)
        else:
            tok = "%032x" % self.rng.getrandbits(128)  # opaque: nothing to read in it
        self.tokens[tok] = {"user": user, "client": client}
        return tok

    def new_user(self):
        u = "user-" + next(self.names)
        self.users.append(u)
        return u


def draw_browser_identities(rng, ids):
    """The tokens the browser uses: one user (sometimes 2-3), 1-2 clients each, sometimes two
    tokens of one client (a second tab, a rotated token)."""
    n_users = weighted(rng, [(75, 1), (18, 2), (7, 3)])
    apps = rng.sample(APPS, 6)
    out = []
    for u in range(n_users):
        user = ids.new_user()
        for c in range(weighted(rng, [(70, 1), (30, 2)])):
            client = "client-" + apps[(u * 2 + c) % len(apps)]
            for _ in range(weighted(rng, [(85, 1), (15, 2)])):
                out.append(ids.token(user, client))
    return out


def draw_endpoints(rng):
    """1-4 endpoints the browser calls; in about a third of scenarios one of them is an
    endpoint that can be slow (for concurrency limits)."""
    eps = rng.sample(ENDPOINTS, weighted(rng, [(30, 1), (35, 2), (25, 3), (10, 4)]))
    if not any(e[5] for e in eps) and rng.random() < 0.35:
        eps[rng.randrange(len(eps))] = rng.choice([e for e in ENDPOINTS if e[5]])
    return eps


def path_and_ids(rng, ep):
    _, _, path, prefix, _, _ = ep
    if prefix is None:
        return path, None
    n = weighted(rng, [(25, 1), (25, 3), (30, 6), (20, 12)])
    return path, ["%s-%03x" % (prefix, rng.getrandbits(12)) for _ in range(n)]


def draw_retry(rng):
    mode = weighted(rng, [(35, "honour"), (20, "honour+extra"), (20, "immediate"), (25, "none")])
    r = {"max_retries": rng.randint(1, 6), "fallback_ms": rng.choice([500, 1000, 2000, 3000])}
    if mode.startswith("honour"):
        r["mode"] = "honour"
        if mode == "honour+extra":
            r["extra_ms"] = rng.choice([100, 250, 500, 1000, 2500])
        if rng.random() < 0.3:
            r["pause_stream"] = True
    else:
        r["mode"] = mode
        if mode == "immediate":
            r["delay_ms"] = rng.choice([0, 0, 50, 120, 300])
            r["max_retries"] = rng.randint(2, 8)
    return r


def draw_stream(rng, label, token, endpoints, duration_s):
    """One stream: a burst (N units as fast as 1-8 in flight allow), steady pacing, or paced
    parallel units; 1-2 ops per unit."""
    eps = rng.sample(endpoints, min(len(endpoints), weighted(rng, [(75, 1), (25, 2)])))
    ops, ids = [], None
    for i, ep in enumerate(eps):
        path, ep_ids = path_and_ids(rng, ep)
        if ep_ids and ids is None:
            ids = ep_ids
        op = {"method": ep[0], "path": path if ids is None or ep_ids is None else path}
        if ep[4]:
            op["body"] = {"name": "lab {n}", "version": 1}
        if i and rng.random() < 0.5:
            op["pause_before_ms"] = rng.choice([100, 300, 800])
        ops.append(op)
    style = weighted(rng, [(35, "burst"), (40, "steady"), (25, "paced-parallel")])
    rate = math.exp(rng.uniform(math.log(0.3), math.log(8)))  # units per second
    st = {"label": label, "token": token, "ops": ops, "retry": draw_retry(rng),
          "max_duration_s": round(duration_s, 1)}
    if ids:
        st["ids"] = ids
    if style == "burst":
        st["concurrency"] = rng.randint(1, 8)
        st["units"] = rng.randint(8, 80)
    else:
        st["concurrency"] = 1 if style == "steady" else rng.randint(2, 8)
        st["interval_ms"] = max(40, int(1000 / rate))
        st["units"] = max(2, int(duration_s * 1000 / st["interval_ms"]))
    if rng.random() < 0.25:
        st["start_delay_ms"] = rng.randint(0, int(duration_s * 400))
    if rng.random() < 0.1:
        st["limiter"] = {"limit": rng.randint(3, 20), "window_s": rng.choice([1, 5, 10, 30])}
    return st, style


def draw_client(rng, tokens, endpoints, run_s):
    """Phases one after another, streams of a phase in parallel; every browser token used."""
    n_phases = weighted(rng, [(45, 1), (35, 2), (20, 3)])
    cuts = sorted(rng.uniform(0.2, 0.8) for _ in range(n_phases - 1))
    bounds = [0.0] + cuts + [1.0]
    phases, styles, unused, k = [], [], list(tokens), 0
    for p in range(n_phases):
        dur = max(5.0, run_s * (bounds[p + 1] - bounds[p]))
        streams = []
        for _ in range(weighted(rng, [(50, 1), (35, 2), (15, 3)])):
            tok = unused.pop(0) if unused else rng.choice(tokens)
            k += 1
            st, style = draw_stream(rng, "s%d" % k, tok, endpoints, dur)
            streams.append(st)
            styles.append(style)
        while unused and p == n_phases - 1:
            k += 1
            st, style = draw_stream(rng, "s%d" % k, unused.pop(0), endpoints, dur)
            streams.append(st)
            styles.append(style)
        ph = {"name": "phase%d" % (p + 1), "streams": streams}
        if p and rng.random() < 0.5:
            ph["pause_before_ms"] = rng.randint(500, 8000)
        phases.append(ph)
    return {"phases": phases}, styles


def draw_background(rng, ids, browser_tokens, endpoints, run_s):
    """0-3 hidden traffic specs: who sends (the same token, another token of the same client,
    another client of the same user, another user), how (steady, bursty, ramp, stopping
    midway), what (the browser's endpoints or typical polling)."""
    specs, relations = [], []
    for i in range(weighted(rng, [(25, 0), (40, 1), (25, 2), (10, 3)])):
        base = rng.choice(browser_tokens)
        ident = ids.tokens[base]
        rel = weighted(rng, [(20, "same-token"), (25, "same-client"), (43, "other-client"),
                             (12, "other-user")])
        if rel == "same-token":
            tok = base
        elif rel == "same-client":
            tok = ids.token(ident["user"], ident["client"])
        elif rel == "other-client":
            tok = ids.token(ident["user"], "client-" + rng.choice(HIDDEN_APPS))
        else:
            tok = ids.token(ids.new_user(), "client-" + rng.choice(HIDDEN_APPS))
        pattern = weighted(rng, [(45, "steady"), (30, "bursty"), (25, "ramp")])
        start = rng.uniform(0, run_s * 0.5)
        stops_midway = rng.random() < 0.3
        duration = (rng.uniform(0.2, 0.6) if stops_midway else 1.0) * (run_s + 5 - start)
        spec = {"token": tok, "start_s": round(start, 1), "duration_s": round(duration, 1),
                "jitter": round(rng.uniform(0, 0.5), 2), "seed": rng.randrange(1 << 30),
                "label": "%s-%s" % (rel, pattern)}
        rate = math.exp(rng.uniform(math.log(0.2), math.log(8)))
        if pattern == "bursty":
            spec["pattern"] = "bursty"
            spec["burst_size"] = rng.randint(3, 25)
            spec["burst_every_s"] = round(spec["burst_size"] / rate, 2)
            spec["burst_gap_ms"] = rng.choice([0, 10, 50])
        else:
            spec["rate_per_s"] = round(rate, 2)
            if pattern == "ramp":
                spec["pattern"] = "ramp"
                spec["rate_end_per_s"] = round(math.exp(rng.uniform(math.log(0.2), math.log(8))), 2)
        if rng.random() < 0.65:
            ep = rng.choice(endpoints)
            path, ep_ids = path_and_ids(rng, ep)
            spec["method"] = ep[0]
            spec["paths"] = [path.replace("{id}", i).replace("{n}", "1") for i in (ep_ids or ["x"])]
        else:
            spec["method"] = "GET"
            spec["paths"] = rng.sample(BACKGROUND_PATHS, rng.randint(1, 3))
        if rng.random() < 0.35:
            spec["hold"] = True
        specs.append(spec)
        relations.append("%s/%s%s" % (rel, pattern, "/stops" if stops_midway else ""))
    return specs, relations


def draw_responses(rng):
    """How throttles and successes look: status, body and header styles, Retry-After,
    the 429 delay, CORS caching."""
    status = weighted(rng, [(60, 429), (15, 503), (10, 403), (15, 200)])
    if status == 200:
        body = "graphql"
    elif status == 503:
        body = weighted(rng, [(40, "nginx_html"), (20, "plain"), (20, "problem"), (20, "stated")])
    else:
        body = weighted(rng, [(20, "legacy"), (15, "normalized"), (20, "plain"), (15, "problem"),
                              (5, "nginx_html"), (25, "stated")])
    out = {"throttle_status": status, "body_style": body,
           "header_style": weighted(rng, [(25, "inin"), (20, "x-ratelimit"), (10, "ietf-draft03"),
                                          (10, "ietf-draft06"), (10, "ietf-draft07"),
                                          (10, "ietf-draft08"), (15, "none")]),
           "x_ratelimit_reset": rng.choice(["delta", "epoch"]),
           "ratelimit_headers_on_429": rng.random() < 0.85,
           "ratelimit_headers_on_success": rng.random() < 0.75,
           "retry_after_header": rng.random() < 0.9,
           "delay_429_ms": 0 if rng.random() < 0.55 else rng.randint(100, 6000),
           "cors": {"max_age": weighted(rng, [(35, None), (25, 0), (40, 600)])},
           "processing_ms": {"default": rng.randint(15, 80)}}
    return out


def draw_processing(rng, endpoints, processing):
    """Slow endpoints (so requests overlap and concurrency limits can bite)."""
    slow = []
    for ep in endpoints:
        if ep[5] and rng.random() < 0.7:
            processing["%s %s" % (ep[0], ep[1])] = rng.randint(300, 3000)
            slow.append(ep)
    return slow
