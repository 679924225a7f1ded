#!/usr/bin/env python3
"""Writes fixtures/forum-thread.har: the founding forum thread, rebuilt from its numbers.

The thread ("I am getting Error 429 even after 3 requests", Genesys Cloud Developer
Community, 2025-03-27) reports: 3 parallel PUTs to /api/v2/architect/ivrs/{ivrId} (documented
100/min); between 23:30:02.316 and 23:30:02.546 (+01:00) the HAR held 8 requests, 4 of them
OPTIONS preflights; the first PUT succeeded in 243 ms, the other two got 429 after 6297 ms
and 6325 ms with Retry-After 55 in Genesys' normalized 429 format; after waiting, the retry of
the first failed request succeeded, later updates got 429 again and were resolved after the
wait; 13 requests to IVR resources over about 3 min 15 s. Everything else (ids, tokens, the
numbers being written, header details) is invented and shaped like a Chrome DevTools export
"with sensitive data". The app runs as its own OAuth client next to the Genesys Cloud UI, whose
traffic is not in the capture.

    python3 scripts/forum-thread.py > fixtures/forum-thread.har
"""
import json
from datetime import datetime, timedelta, timezone

TZ = timezone(timedelta(hours=1))
HOST = "api.mypurecloud.de"
ORIGIN = "https://apps.mypurecloud.de"
TOKEN = "Bearer demo-integration-token-7Qx3N"  # invented, opaque
IVR = {
    "A": "5a1b8f3e-2c4d-4e6f-9a0b-1c2d3e4f5a6b",
    "B": "6b2c9a4f-3d5e-4f70-8b1c-2d3e4f5a6b7c",
    "C": "7c3d0b5a-4e6f-4081-9c2d-3e4f5a6b7c8d",
}
T0 = datetime(2025, 3, 27, 23, 30, 2, 316000, tzinfo=TZ)
CORR = iter(
    f"{n:08x}-7e1a-4c2b-9d3e-{n * 7919:012x}" for n in range(0x51a0, 0x5200)
)
entries = []
token_uses = []  # start times of requests with this token (for inin-ratelimit-count)


def iso(t):
    return t.isoformat(timespec="milliseconds")


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def timings(total_ms, wait_share=0.9):
    wait = round(total_ms * wait_share, 3)
    send = 0.12
    receive = round(max(total_ms - wait - send, 0.05), 3)
    return {
        "blocked": 0.9,
        "dns": -1,
        "ssl": -1,
        "connect": -1,
        "send": send,
        "wait": wait,
        "receive": receive,
        "_blocked_queueing": 0.6,
    }


def base_request(method, path, extra_headers, query=""):
    url = f"https://{HOST}{path}{query}"
    headers = [
        {"name": ":authority", "value": HOST},
        {"name": ":method", "value": method},
        {"name": ":path", "value": path + query},
        {"name": ":scheme", "value": "https"},
        {"name": "accept", "value": "*/*"},
        {"name": "accept-encoding", "value": "gzip, deflate, br, zstd"},
        {"name": "accept-language", "value": "de-DE,de;q=0.9,en;q=0.8"},
        {"name": "origin", "value": ORIGIN},
        {"name": "referer", "value": ORIGIN + "/"},
        {"name": "sec-fetch-dest", "value": "empty"},
        {"name": "sec-fetch-mode", "value": "cors"},
        {"name": "sec-fetch-site", "value": "same-site"},
        {
            "name": "user-agent",
            "value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36",
        },
    ] + extra_headers
    qs = []
    if query:
        for pair in query[1:].split("&"):
            k, v = pair.split("=", 1)
            qs.append({"name": k, "value": v})
    return {
        "method": method,
        "url": url,
        "httpVersion": "h2",
        "headers": headers,
        "queryString": qs,
        "cookies": [],
        "headersSize": -1,
        "bodySize": 0,
    }


def cors_headers():
    return [
        {"name": "access-control-allow-origin", "value": ORIGIN},
        {"name": "access-control-allow-credentials", "value": "true"},
        {
            "name": "access-control-expose-headers",
            "value": "inin-correlation-id, inin-ratelimit-allowed, inin-ratelimit-count, inin-ratelimit-reset, retry-after",
        },
    ]


def add(start_s, method, path, status, total_ms, body_out=None, query="", request_body=None):
    t = at(start_s)
    corr = next(CORR)
    if method == "OPTIONS":
        req = base_request(
            "OPTIONS",
            path,
            [
                {"name": "access-control-request-method", "value": request_body},
                {"name": "access-control-request-headers", "value": "authorization,content-type"},
            ],
        )
        resp_headers = [
            {"name": "date", "value": t.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")},
            {"name": "content-length", "value": "0"},
            {"name": "access-control-allow-methods", "value": "GET, PUT, POST, PATCH, DELETE, OPTIONS"},
            {"name": "access-control-allow-headers", "value": "authorization, content-type"},
            {"name": "inin-correlation-id", "value": corr},
        ] + cors_headers()
        content = {"size": 0, "mimeType": "x-unknown"}
        resource = "preflight"
        initiator = {"type": "preflight", "url": f"https://{HOST}{path}"}
    else:
        extra = [{"name": "authorization", "value": TOKEN}]
        if request_body is not None:
            extra.append({"name": "content-type", "value": "application/json"})
        req = base_request(method, path, extra, query)
        if request_body is not None:
            text = json.dumps(request_body, separators=(",", ":"))
            req["postData"] = {"mimeType": "application/json", "text": text}
            req["bodySize"] = len(text)
        token_uses.append(t)
        resp_headers = [
            {"name": "date", "value": (t + timedelta(milliseconds=total_ms)).astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")},
            {"name": "content-type", "value": "application/json"},
            {"name": "inin-correlation-id", "value": corr},
        ] + cors_headers()
        if status == 429:
            ra = body_out
            text = json.dumps(
                {
                    "message": f"Rate limit exceeded the maximum. Retry the request in [{ra}] seconds",
                    "code": "too.many.requests.retry.after",
                    "status": 429,
                    "contextId": corr,
                    "details": [],
                    "errors": [],
                },
                separators=(",", ":"),
            )
            resp_headers.insert(1, {"name": "retry-after", "value": str(ra)})
        else:
            # the token's own counter: requests of this token in the last minute
            count = sum(1 for u in token_uses if t - timedelta(seconds=60) < u <= t)
            first = min(u for u in token_uses if t - timedelta(seconds=60) < u <= t)
            reset = 60 - int((t - first).total_seconds())
            resp_headers += [
                {"name": "inin-ratelimit-allowed", "value": "300"},
                {"name": "inin-ratelimit-count", "value": str(count)},
                {"name": "inin-ratelimit-reset", "value": str(reset)},
            ]
            text = json.dumps(body_out, separators=(",", ":"))
        content = {"size": len(text), "mimeType": "application/json", "text": text}
        resource = "fetch"
        initiator = {
            "type": "script",
            "stack": {
                "callFrames": [
                    {
                        "functionName": "updateIvr" if method == "PUT" else "loadIvrs",
                        "scriptId": "112",
                        "url": ORIGIN + "/dnis-updater/app.js",
                        "lineNumber": 214,
                        "columnNumber": 22,
                    }
                ]
            },
        }
    entries.append(
        {
            "_initiator": initiator,
            "_priority": "High",
            "_resourceType": resource,
            "cache": {},
            "connection": "443",
            "pageref": "page_1",
            "request": req,
            "response": {
                "status": status,
                "statusText": "",
                "httpVersion": "h2",
                "headers": resp_headers,
                "cookies": [],
                "content": content,
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": -1,
                "_transferSize": content["size"] + 320,
                "_error": None,
            },
            "serverIPAddress": "203.0.113.80",
            "startedDateTime": iso(t),
            "time": total_ms,
            "timings": timings(total_ms),
        }
    )


def ivr(key, name):
    return {
        "id": IVR[key],
        "name": name,
        "version": 7,
        "dnis": ["+4930555010" + str(i) for i in range(3)],
        "openHoursFlow": {"id": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"},
    }


def put_body(key, round_no):
    b = ivr(key, f"IVR {key}")
    b["dnis"].append(f"+49305550{round_no}9{ord(key) - 64}")
    return b


ivr_path = lambda k: f"/api/v2/architect/ivrs/{IVR[k]}"

# 23:30:02.316 — the app loads: IVR list, who am I, then three parallel updates
add(0.000, "OPTIONS", "/api/v2/architect/ivrs", 204, 61.2, request_body="GET")
add(0.064, "GET", "/api/v2/architect/ivrs", 200, 182.4,
    {"entities": [ivr(k, f"IVR {k}") for k in "ABC"], "pageSize": 25, "pageNumber": 1, "total": 3},
    query="?pageSize=25&pageNumber=1")
add(0.066, "GET", "/api/v2/users/me", 200, 96.7, {"id": "e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b", "state": "active"})
add(0.181, "OPTIONS", ivr_path("A"), 204, 58.3, request_body="PUT")
add(0.182, "OPTIONS", ivr_path("B"), 204, 57.9, request_body="PUT")
add(0.183, "OPTIONS", ivr_path("C"), 204, 59.1, request_body="PUT")
add(0.229, "PUT", ivr_path("A"), 200, 243.0, ivr("A", "IVR A"), request_body=put_body("A", 1))
add(0.230, "PUT", ivr_path("B"), 429, 6297.0, 55, request_body=put_body("B", 1))
add(0.231, "PUT", ivr_path("C"), 429, 6325.0, 55, request_body=put_body("C", 1))
# the app honours Retry-After: 55 s after the 429s arrived (at ~02.55 + 6.3 s), one at a time
add(61.650, "OPTIONS", ivr_path("B"), 204, 60.4, request_body="PUT")
add(61.712, "PUT", ivr_path("B"), 200, 251.8, ivr("B", "IVR B"), request_body=put_body("B", 1))
add(62.031, "OPTIONS", ivr_path("C"), 204, 61.0, request_body="PUT")
add(62.094, "PUT", ivr_path("C"), 200, 247.3, ivr("C", "IVR C"), request_body=put_body("C", 1))
# 23:32:10 — more updates to the same IVRs: read two of them, then three PUTs in parallel again
add(128.004, "OPTIONS", ivr_path("A"), 204, 58.8, request_body="GET")
add(128.064, "GET", ivr_path("A"), 200, 121.5, ivr("A", "IVR A"))
add(128.240, "OPTIONS", ivr_path("B"), 204, 59.3, request_body="GET")
add(128.301, "GET", ivr_path("B"), 200, 118.2, ivr("B", "IVR B"))
add(129.510, "OPTIONS", ivr_path("A"), 204, 60.2, request_body="PUT")
add(129.511, "OPTIONS", ivr_path("B"), 204, 59.7, request_body="PUT")
add(129.512, "OPTIONS", ivr_path("C"), 204, 60.9, request_body="PUT")
add(129.573, "PUT", ivr_path("A"), 200, 239.6, ivr("A", "IVR A"), request_body=put_body("A", 2))
add(129.574, "PUT", ivr_path("B"), 429, 6288.0, 55, request_body=put_body("B", 2))
add(129.575, "PUT", ivr_path("C"), 429, 6302.0, 55, request_body=put_body("C", 2))
# resolved after the wait, one at a time
add(190.950, "OPTIONS", ivr_path("B"), 204, 59.1, request_body="PUT")
add(191.011, "PUT", ivr_path("B"), 200, 244.7, ivr("B", "IVR B"), request_body=put_body("B", 2))
add(194.810, "OPTIONS", ivr_path("C"), 204, 58.4, request_body="PUT")
add(194.870, "PUT", ivr_path("C"), 200, 249.9, ivr("C", "IVR C"), request_body=put_body("C", 2))

har = {
    "log": {
        "version": "1.2",
        "creator": {"name": "WebInspector", "version": "537.36"},
        "pages": [
            {
                "startedDateTime": iso(T0 - timedelta(seconds=4)),
                "id": "page_1",
                "title": "DNIS updater",
                "pageTimings": {"onContentLoad": 412.7, "onLoad": 655.2},
            }
        ],
        "entries": entries,
    }
}
print(json.dumps(har, indent=2))
