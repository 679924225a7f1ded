#!/usr/bin/env python3
"""Writes fixtures/serverlogs/: the server's side of the forum thread, in every log format.

fixtures/forum-thread.har (scripts/forum-thread.py) is the browser's view of a DNIS updater
app that PUTs three IVRs in parallel. These files are what the API's gateway would have logged
over the same minutes: the app's 27 requests (same paths, methods, statuses, correlation ids
and token as the capture; arrival 18 ms after the browser sent each request, the server's time
30 ms shorter than the browser's) plus the Genesys Cloud UI running in another tab as the same
user, with its own token: presence and conversation polling and a notification channel, which
the capture cannot see. Every id, token and address is invented (addresses from the
documentation ranges). Each per-request file holds the same requests; only the format differs:

    generic.jsonl           why429's generic JSON Lines form
    nginx-combined.log      nginx's default `combined` format (local time, +0100)
    nginx-ratelimit.log     a custom log_format (nginx-ratelimit.conf) with $request_time,
                            $http_authorization, $limit_req_status and the correlation header
    nginx-json.log          an escape=json log_format (nginx-json.conf)
    apache-combined-D.log   Apache's combined format plus %D (apache-combined-D.conf)
    envoy.jsonl             Envoy JSON access log keyed like its default format's operators
    istio.jsonl             Istio's default JSON access log (meshConfig.accessLogEncoding: JSON)
    genesys-usage.json      GET /api/v2/usage/query/{executionId}/results for the same day,
                            grouped by OAuthClientId, UserId, TemplateUri, HttpMethod
    generic-damaged.jsonl   a few good lines and one of every kind of unreadable line

    python3 scripts/serverlog-fixtures.py     # from the repository root
"""
import json
import os
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "serverlogs")
UTC = timezone.utc
CET = timezone(timedelta(hours=1))
HOST = "api.mypurecloud.de"
# the capture's own token and the UI's (both invented, opaque)
APP_TOKEN = "demo-integration-token-7Qx3N"
UI_TOKEN = "demo-ui-session-token-Lm2Pq"
APP_CLIENT = ("3b9e2f1a-6c4d-4e8f-a0b1-c2d3e4f5a6b7", "DNIS updater")
UI_CLIENT = ("0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "Genesys Cloud UI")
USER = "e9d8c7b6-a5f4-4e3d-8c2b-1a0f9e8d7c6b"
ORG = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
IP = "198.51.100.23"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/134.0.0.0 Safari/537.36"
)
IVR = {
    "A": "5a1b8f3e-2c4d-4e6f-9a0b-1c2d3e4f5a6b",
    "B": "6b2c9a4f-3d5e-4f70-8b1c-2d3e4f5a6b7c",
    "C": "7c3d0b5a-4e6f-4081-9c2d-3e4f5a6b7c8d",
}
T0 = datetime(2025, 3, 27, 23, 30, 2, 316000, tzinfo=CET)
CORR = iter(f"{n:08x}-7e1a-4c2b-9d3e-{n * 7919:012x}" for n in range(0x51A0, 0x5200))
UI_CORR = iter(f"{n:08x}-2b7c-4d1e-8f90-{n * 104729:012x}" for n in range(0x9000, 0x9100))

ivr = lambda k: f"/api/v2/architect/ivrs/{IVR[k]}"

# the capture's schedule (scripts/forum-thread.py): start s, method, path, status, ms, query
APP = [
    (0.000, "OPTIONS", "/api/v2/architect/ivrs", 204, 61.2, ""),
    (0.064, "GET", "/api/v2/architect/ivrs", 200, 182.4, "?pageSize=25&pageNumber=1"),
    (0.066, "GET", "/api/v2/users/me", 200, 96.7, ""),
    (0.181, "OPTIONS", ivr("A"), 204, 58.3, ""),
    (0.182, "OPTIONS", ivr("B"), 204, 57.9, ""),
    (0.183, "OPTIONS", ivr("C"), 204, 59.1, ""),
    (0.229, "PUT", ivr("A"), 200, 243.0, ""),
    (0.230, "PUT", ivr("B"), 429, 6297.0, ""),
    (0.231, "PUT", ivr("C"), 429, 6325.0, ""),
    (61.650, "OPTIONS", ivr("B"), 204, 60.4, ""),
    (61.712, "PUT", ivr("B"), 200, 251.8, ""),
    (62.031, "OPTIONS", ivr("C"), 204, 61.0, ""),
    (62.094, "PUT", ivr("C"), 200, 247.3, ""),
    (128.004, "OPTIONS", ivr("A"), 204, 58.8, ""),
    (128.064, "GET", ivr("A"), 200, 121.5, ""),
    (128.240, "OPTIONS", ivr("B"), 204, 59.3, ""),
    (128.301, "GET", ivr("B"), 200, 118.2, ""),
    (129.510, "OPTIONS", ivr("A"), 204, 60.2, ""),
    (129.511, "OPTIONS", ivr("B"), 204, 59.7, ""),
    (129.512, "OPTIONS", ivr("C"), 204, 60.9, ""),
    (129.573, "PUT", ivr("A"), 200, 239.6, ""),
    (129.574, "PUT", ivr("B"), 429, 6288.0, ""),
    (129.575, "PUT", ivr("C"), 429, 6302.0, ""),
    (190.950, "OPTIONS", ivr("B"), 204, 59.1, ""),
    (191.011, "PUT", ivr("B"), 200, 244.7, ""),
    (194.810, "OPTIONS", ivr("C"), 204, 58.4, ""),
    (194.870, "PUT", ivr("C"), 200, 249.9, ""),
]


def requests():
    """Every request the server saw, in arrival order."""
    out = []
    for start, method, path, status, ms, query in APP:
        out.append(
            {
                "start": T0 + timedelta(seconds=start, milliseconds=18),
                "ms": max(round(ms - 30.0, 1), 1.0),
                "method": method,
                "path": path,
                "query": query,
                "status": status,
                # preflights carry no credential
                "token": None if method == "OPTIONS" else APP_TOKEN,
                "client": None if method == "OPTIONS" else APP_CLIENT,
                "corr": next(CORR),
                "bytes": 0 if method == "OPTIONS" else (87 if status == 429 else 412),
            }
        )
    # the UI in another tab: presence every 10 s, conversations every 30 s, from 12 s
    # before the capture to its end, plus one notification channel set-up
    ui = [(-12.0 + 10 * i, "GET", f"/api/v2/users/{USER}/presences/purecloud", 200, 41.0, "")
          for i in range(21)]
    ui += [(-9.5 + 30 * i, "GET", "/api/v2/conversations", 200, 88.0, "?pageSize=25")
           for i in range(7)]
    ui += [(-11.0, "POST", "/api/v2/notifications/channels", 200, 63.0, "")]
    for start, method, path, status, ms, query in ui:
        out.append(
            {
                "start": T0 + timedelta(seconds=start),
                "ms": ms,
                "method": method,
                "path": path,
                "query": query,
                "status": status,
                "token": UI_TOKEN,
                "client": UI_CLIENT,
                "corr": next(UI_CORR),
                "bytes": 233,
            }
        )
    out.sort(key=lambda r: r["start"])
    return out


def end(r):
    return r["start"] + timedelta(milliseconds=r["ms"])


def iso_ms(t):
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clf(t, tz=CET):
    return t.astimezone(tz).strftime("%d/%b/%Y:%H:%M:%S %z")


def msec(t):
    return f"{t.timestamp():.3f}"


def write(name, lines):
    with open(os.path.join(OUT, name), "w", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def generic(r):
    d = OrderedDict(
        time=iso_ms(r["start"]),
        method=r["method"],
        path=r["path"] + r["query"],
        status=r["status"],
        duration_ms=r["ms"],
    )
    if r["client"]:
        d["client"] = "dnis-updater" if r["client"] == APP_CLIENT else "genesys-cloud-ui"
        d["user"] = "user-dev"
        d["token"] = r["token"]
    d["correlation_id"] = r["corr"]
    d["user_agent"] = CHROME
    d["ip"] = IP
    return json.dumps(d)


def combined(r):
    return (
        f'{IP} - - [{clf(end(r))}] "{r["method"]} {r["path"]}{r["query"]} HTTP/1.1" '
        f'{r["status"]} {r["bytes"]} "https://apps.mypurecloud.de/" "{CHROME}"'
    )


RATELIMIT_CONF = (
    "log_format ratelimit '$remote_addr - $remote_user [$time_local] \"$request\" '\n"
    "                     '$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\" '\n"
    "                     '$request_time \"$http_authorization\" $limit_req_status '\n"
    "                     '$upstream_http_inin_correlation_id';\n"
)


def ratelimit(r):
    auth = f"Bearer {r['token']}" if r["token"] else "-"
    limit = "REJECTED" if r["status"] == 429 else "PASSED"
    return (
        f'{IP} - - [{clf(end(r))}] "{r["method"]} {r["path"]}{r["query"]} HTTP/1.1" '
        f'{r["status"]} {r["bytes"]} "https://apps.mypurecloud.de/" "{CHROME}" '
        f'{r["ms"] / 1000:.3f} "{auth}" {limit} {r["corr"]}'
    )


JSON_CONF = (
    "log_format json_ratelimit escape=json\n"
    "  '{\"time\":\"$time_iso8601\",\"msec\":\"$msec\",\"remote_addr\":\"$remote_addr\",'\n"
    "  '\"request\":\"$request\",\"status\":$status,\"request_time\":$request_time,'\n"
    "  '\"ua\":\"$http_user_agent\",\"auth\":\"$http_authorization\",'\n"
    "  '\"correlation\":\"$sent_http_inin_correlation_id\",\"rid\":\"$request_id\"}';\n"
)


def nginx_json(r):
    e = end(r)
    d = OrderedDict(
        time=e.astimezone(CET).isoformat(timespec="seconds"),
        msec=msec(e),
        remote_addr=IP,
        request=f'{r["method"]} {r["path"]}{r["query"]} HTTP/1.1',
    )
    # nginx writes the template as it is, bare variables unquoted
    body = json.dumps(d, separators=(",", ":"))[:-1]
    body += f',"status":{r["status"]},"request_time":{r["ms"] / 1000:.3f}'
    body += f',"ua":{json.dumps(CHROME)}'
    body += f',"auth":{json.dumps("Bearer " + r["token"] if r["token"] else "")}'
    rid = r["corr"].replace("-", "")[:32]
    body += f',"correlation":{json.dumps(r["corr"])},"rid":"{rid}"}}'
    return body


APACHE_CONF = (
    'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-agent}i\\" %D" '
    "combined_D\n"
)


def apache(r):
    # %t is when the request arrived, %D the time taken in microseconds
    b = r["bytes"] or "-"
    return (
        f'{IP} - - [{clf(r["start"])}] "{r["method"]} {r["path"]}{r["query"]} HTTP/1.1" '
        f'{r["status"]} {b} "https://apps.mypurecloud.de/" "{CHROME}" {round(r["ms"] * 1000)}'
    )


def envoy(r):
    return json.dumps(
        OrderedDict(
            start_time=iso_ms(r["start"]),
            method=r["method"],
            path=r["path"] + r["query"],
            protocol="HTTP/2",
            response_code=r["status"],
            response_flags="RL" if r["status"] == 429 else "-",
            bytes_received=0,
            bytes_sent=r["bytes"],
            duration=round(r["ms"]),
            upstream_service_time=None if r["status"] == 429 else str(round(r["ms"]) - 2),
            **{
                "x-forwarded-for": IP,
                "user-agent": CHROME,
                "x-request-id": r["corr"],
                ":authority": HOST,
            },
            upstream_host=None if r["status"] == 429 else "10.20.0.7:8443",
        ),
        separators=(",", ":"),
    )


def istio(r):
    limited = r["status"] == 429
    return json.dumps(
        OrderedDict(
            start_time=iso_ms(r["start"]),
            route_name="default",
            method=r["method"],
            path=r["path"] + r["query"],
            protocol="HTTP/2",
            response_code=r["status"],
            response_flags="RL" if limited else "-",
            response_code_details="local_rate_limited" if limited else "via_upstream",
            connection_termination_details=None,
            upstream_transport_failure_reason=None,
            bytes_received=0,
            bytes_sent=r["bytes"],
            duration=round(r["ms"]),
            upstream_service_time=None if limited else str(round(r["ms"]) - 2),
            x_forwarded_for=IP,
            user_agent=CHROME,
            request_id=r["corr"],
            authority=HOST,
            upstream_host=None if limited else "10.20.0.7:8443",
            upstream_cluster="outbound|8443||platform-api.default.svc.cluster.local",
            upstream_local_address=None if limited else "10.20.0.3:51734",
            downstream_local_address="10.20.0.3:8443",
            downstream_remote_address="10.20.0.1:40112",
            requested_server_name=HOST,
        ),
        separators=(",", ":"),
    )


def template(path):
    if path.startswith("/api/v2/architect/ivrs/"):
        return "api/v2/architect/ivrs/{ivrId}"
    if path.startswith("/api/v2/users/") and path.endswith("/presences/purecloud"):
        return "api/v2/users/{userId}/presences/purecloud"
    return path[1:]


def usage(reqs):
    """The day's usage, grouped as the query asks: preflights are not counted (no client)."""
    rows = OrderedDict()
    for r in reqs:
        if not r["client"]:
            continue
        k = (r["client"], template(r["path"]), r["method"])
        row = rows.setdefault(
            k,
            OrderedDict(
                clientId=r["client"][0],
                clientName=r["client"][1],
                organizationId=ORG,
                userId=USER,
                templateUri=k[1],
                httpMethod=r["method"],
                status200=0,
                status300=0,
                status400=0,
                status429=0,
                status500=0,
                requests=0,
                date="2025-03-27T00:00:00Z",
            ),
        )
        row["requests"] += 1
        if r["status"] == 429:
            row["status400"] += 1
            row["status429"] += 1
        else:
            row["status200"] += 1
    return {"results": list(rows.values()), "queryStatus": "Complete"}


def damaged(reqs):
    good = [generic(r) for r in reqs[:4]]
    bad = [
        # a time without a zone
        json.dumps({"time": "2025-03-27T22:30:05.000", "method": "GET", "path": "/api/v2/users/me"}),
        # no method
        json.dumps({"time": "2025-03-27T22:30:05.000Z", "path": "/api/v2/users/me"}),
        # not JSON
        "GET /api/v2/users/me 200",
        # a status that is not a number
        json.dumps({"time": "2025-03-27T22:30:05.000Z", "method": "GET", "path": "/a", "status": "OK"}),
        # a path that is not a path
        json.dumps({"time": "2025-03-27T22:30:05.000Z", "method": "GET", "path": "api.example.com:443"}),
        # an epoch time in the wrong unit (1970)
        json.dumps({"time": 17431146, "method": "GET", "path": "/a"}),
        # a JSON array
        "[1, 2, 3]",
    ]
    return good[:2] + bad[:4] + [""] + good[2:] + bad[4:]


def main():
    os.makedirs(OUT, exist_ok=True)
    reqs = requests()
    write("generic.jsonl", [generic(r) for r in reqs])
    by_end = sorted(reqs, key=end)  # nginx writes a line when the response is sent
    write("nginx-combined.log", [combined(r) for r in by_end])
    write("nginx-ratelimit.log", [ratelimit(r) for r in by_end])
    with open(os.path.join(OUT, "nginx-ratelimit.conf"), "w") as f:
        f.write(RATELIMIT_CONF)
    write("nginx-json.log", [nginx_json(r) for r in by_end])
    with open(os.path.join(OUT, "nginx-json.conf"), "w") as f:
        f.write(JSON_CONF)
    write("apache-combined-D.log", [apache(r) for r in by_end])
    with open(os.path.join(OUT, "apache-combined-D.conf"), "w") as f:
        f.write(APACHE_CONF)
    write("envoy.jsonl", [envoy(r) for r in by_end])
    write("istio.jsonl", [istio(r) for r in by_end])
    with open(os.path.join(OUT, "genesys-usage.json"), "w") as f:
        f.write(json.dumps(usage(reqs), indent=2) + "\n")
    write("generic-damaged.jsonl", damaged(reqs))


if __name__ == "__main__":
    main()
