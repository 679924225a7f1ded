#!/usr/bin/env python3
"""Builds fixtures/dialects/<dialect>.har: one small capture per rate-limit dialect, written
from the header and body formats the vendors document (sources in fixtures/dialects/README.md),
and <dialect>.expected.json: what why429 must read from each entry — counters, retry delays,
codes and stated numbers — computed here from the values written, independently of the reader.

    python3 scripts/dialect-fixtures.py        # rewrites fixtures/dialects/

Deterministic: fixed times, no randomness. Standard library only.
"""

import base64
import datetime as dt
import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "dialects")
T0 = dt.datetime(2025, 6, 2, 10, 0, 0, tzinfo=dt.timezone.utc)
DURATION_MS = 100  # every response completes 100 ms after its request started
SECOND = 1_000_000


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def http_date(t):
    return t.strftime("%a, %d %b %Y %H:%M:%S GMT")


def us(t):
    return int(t.timestamp()) * SECOND + t.microsecond


class Capture:
    def __init__(self, name, host):
        self.name, self.host = name, host
        self.entries, self.expected = [], []

    def add(self, at_s, status, headers, body=None, expect=None, method="GET", path="/",
            b64=False, mime="application/json"):
        """An entry `at_s` seconds after T0; `expect` is what why429 must read from it."""
        start = T0 + dt.timedelta(seconds=at_s)
        end = start + dt.timedelta(milliseconds=DURATION_MS)
        content = {"size": len(body or ""), "mimeType": mime}
        if body is not None:
            content["text"] = base64.b64encode(body.encode()).decode() if b64 else body
            if b64:
                content["encoding"] = "base64"
        self.entries.append({
            "startedDateTime": iso(start),
            "time": DURATION_MS,
            "request": {
                "method": method,
                "url": f"https://{self.host}{path}",
                "httpVersion": "h2",
                "headers": [
                    {"name": ":authority", "value": self.host},
                    {"name": "authorization", "value": f"Bearer token-{self.name}"},
                ],
                "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0,
            },
            "response": {
                "status": status, "statusText": "", "httpVersion": "h2",
                "headers": [{"name": n, "value": v} for n, v in headers],
                "cookies": [], "content": content, "redirectURL": "",
                "headersSize": -1, "bodySize": -1,
            },
            "cache": {},
            "timings": {"send": 1, "wait": DURATION_MS - 2, "receive": 1},
        })
        e = {"entry": len(self.entries) - 1, "status": status, "quotas": [], "retry": None,
             "body": None, "scope": None, "reason": None, "refused_by": None,
             "near_limit": False, "costs": []}
        e.update(expect or {})
        self.expected.append(e)
        return end  # the response time resets are read against

    def write(self, profiles, sources):
        har = {"log": {
            "version": "1.2",
            "creator": {"name": "why429 dialect fixtures", "version": "1"},
            "pages": [],
            "entries": self.entries,
        }}
        with open(os.path.join(OUT, f"{self.name}.har"), "w") as f:
            json.dump(har, f, indent=1)
            f.write("\n")
        with open(os.path.join(OUT, f"{self.name}.expected.json"), "w") as f:
            json.dump({"profiles": profiles, "sources": sources, "entries": self.expected},
                      f, indent=1, sort_keys=True)
            f.write("\n")


def q(dialect, axis, unit="requests", limit=None, remaining=None, used=None, window_us=None,
      reset_us=None, reset_form=None, exact=(), policy=None, refill=None, used_share=None,
      cost=None):
    return {"dialect": dialect, "axis": axis, "unit": unit, "limit": limit,
            "remaining": remaining, "used": used, "window_us": window_us, "reset_us": reset_us,
            "reset_form": reset_form, "exact": sorted(exact), "policy": policy,
            "refill": refill, "used_share": used_share, "cost": cost}


def body(dialect, code=None, unlisted=False, rate_limited=True, limit=None, window_s=None,
         retry_in_s=None, used=None, requested=None, limit_value=None, limit_key=None,
         policies=(), scope=None):
    return {"dialect": dialect, "code": code, "unlisted": unlisted,
            "rate_limited": rate_limited, "limit": limit, "window_s": window_s,
            "retry_in_s": retry_in_s, "used": used, "requested": requested,
            "limit_value": limit_value, "limit_key": limit_key, "policies": list(policies),
            "scope": scope}


def retry(seconds, source="seconds"):
    return {"seconds": seconds, "source": source}


def ahead(end, at):
    """Microseconds from the response to `at` (never negative)."""
    return max(0, us(at) - us(end))


def main():
    os.makedirs(OUT, exist_ok=True)
    S = SECOND

    # Genesys Cloud: SDK README extended response; normalized 429 (forum topic 12028); legacy
    # 429 message with `limit`
    c = Capture("genesys", "api.mypurecloud.com")
    c.add(0, 200, [("inin-ratelimit-count", "3"), ("inin-ratelimit-allowed", "180"),
                   ("inin-ratelimit-reset", "3")],
          '{"id":"x"}', {"quotas": [q("genesys", "requests", limit=180, used=3, reset_us=3 * S,
                                      reset_form="delta-seconds",
                                      exact=["limit", "used", "reset"])]})
    c.add(1, 429, [("Retry-After", "42"), ("ININ-Correlation-Id", "0d3b2a1e-5f6a-4b7c")],
          '{"message":"Rate limit exceeded the maximum. Retry the request in [42] seconds",'
          '"code":"too.many.requests.retry.after","status":429,"contextId":"0d3b2a1e-5f6a-4b7c",'
          '"details":[],"errors":[]}',
          {"retry": retry(42.0), "body": body("genesys", "too.many.requests.retry.after",
                                               retry_in_s=42.0)})
    c.add(2, 429, [("Retry-After", "55")],
          '{"message":"Rate limit exceeded the maximum [300] requests within [60] seconds",'
          '"code":"too.many.requests","status":429,'
          '"limit":{"key":"token.rate.per.minute","namespace":"platform.api","value":300}}',
          {"retry": retry(55.0), "body": body("genesys", "too.many.requests", limit=300,
                                               window_s=60.0, limit_value=300,
                                               limit_key="token.rate.per.minute")})
    c.write(["genesys-cloud"], ["https://github.com/MyPureCloud/platform-client-sdk-javascript",
                                "https://developer.genesys.cloud/forum/t/normalized-platform-api-429-responses/12028"])

    # IETF drafts -00 to -03: the limit list
    c = Capture("ietf-03", "api.example.com")
    c.add(0, 200, [("RateLimit-Limit", "10, 10;w=1, 50;w=60"), ("RateLimit-Remaining", "9"),
                   ("RateLimit-Reset", "1")], "{}",
          {"quotas": [q("ietf-03", "current", limit=10, remaining=9, reset_us=S,
                        reset_form="delta-seconds", exact=["remaining", "reset"]),
                      q("ietf-03", "policy", limit=10, window_us=S),
                      q("ietf-03", "policy", limit=50, window_us=60 * S)]})
    c.add(1, 429, [("RateLimit-Limit", "10"), ("RateLimit-Remaining", "0"),
                   ("RateLimit-Reset", "1"), ("Retry-After", "1")], "",
          {"quotas": [q("ietf-03", "current", limit=10, remaining=0, reset_us=S,
                        reset_form="delta-seconds", exact=["limit", "remaining", "reset"])],
           "retry": retry(1.0)})
    c.write([], ["https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-03"])

    # -04 to -06: RateLimit-Policy beside the three fields
    c = Capture("ietf-06", "api.example.com")
    c.add(0, 200, [("RateLimit-Limit", "10"), ("RateLimit-Remaining", "9"),
                   ("RateLimit-Reset", "1"), ("RateLimit-Policy", "10;w=1, 50;w=60")], "{}",
          {"quotas": [q("ietf-06", "current", limit=10, remaining=9, reset_us=S,
                        reset_form="delta-seconds", exact=["limit", "remaining", "reset"]),
                      q("ietf-06", "policy", limit=10, window_us=S),
                      q("ietf-06", "policy", limit=50, window_us=60 * S)]})
    c.write([], ["https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-06"])

    # -07: one dictionary field
    c = Capture("ietf-07", "api.example.com")
    c.add(0, 200, [("RateLimit", "limit=100, remaining=50, reset=5"),
                   ("RateLimit-Policy", "100;w=10")], "{}",
          {"quotas": [q("ietf-07", "current", limit=100, remaining=50, reset_us=5 * S,
                        reset_form="delta-seconds"),
                      q("ietf-07", "policy", limit=100, window_us=10 * S)]})
    c.write([], ["https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-07"])

    # -08 and later: named policies, units, partition keys; problem types
    c = Capture("ietf-08", "api.example.com")
    pk = base64.b64encode(b"project-123").decode()
    c.add(0, 200, [("RateLimit-Policy",
                    f'"burst";q=100;w=60;pk=:{pk}:, "daily";q=1000;w=86400, '
                    '"upload";q=1000000;qu="content-bytes";w=3600'),
                   ("RateLimit", f'"burst";r=50;t=30;pk=:{pk}:')], "{}",
          {"quotas": [q("ietf-08", "current", limit=100, remaining=50, window_us=60 * S,
                        reset_us=30 * S, reset_form="delta-seconds", policy="burst"),
                      q("ietf-08", "current", limit=1000, window_us=86400 * S, policy="daily"),
                      q("ietf-08", "current", unit="bytes", limit=1000000, window_us=3600 * S,
                        policy="upload")]})
    c.add(1, 429, [("RateLimit-Policy", '"burst";q=100;w=60'), ("RateLimit", '"burst";r=0;t=12'),
                   ("Retry-After", "12")],
          '{"type":"https://iana.org/assignments/http-problem-types#quota-exceeded",'
          '"title":"Request cannot be satisfied as assigned quota has been exceeded",'
          '"status":429,"violated-policies":["burst"]}',
          {"quotas": [q("ietf-08", "current", limit=100, remaining=0, window_us=60 * S,
                        reset_us=12 * S, reset_form="delta-seconds", policy="burst")],
           "retry": retry(12.0), "body": body("problem", "quota-exceeded", policies=["burst"])})
    c.add(2, 503, [("Retry-After", "30")],
          '{"type":"https://iana.org/assignments/http-problem-types#temporary-reduced-capacity",'
          '"title":"Temporary reduced capacity","status":503}',
          {"retry": retry(30.0), "body": body("problem", "temporary-reduced-capacity")})
    c.write([], ["https://github.com/ietf-wg-httpapi/ratelimit-headers"])

    # Jira Cloud: X-RateLimit-* with ISO resets, NearLimit, RateLimit-Reason, Beta- fields
    c = Capture("jira", "acme.atlassian.net")
    end = c.add(0, 200, [("X-RateLimit-Limit", "350"), ("X-RateLimit-Remaining", "40"),
                         ("X-RateLimit-Reset", "2025-06-02T10:01:00Z"),
                         ("X-RateLimit-NearLimit", "true"),
                         ("Beta-RateLimit-Policy", '"global-app-quota";q=65000;w=3600'),
                         ("Beta-RateLimit", '"global-app-quota";r=64000;t=1800')], "{}")
    c.expected[-1].update({
        "quotas": [q("jira", "requests", limit=350, remaining=40,
                     reset_us=ahead(end, T0 + dt.timedelta(minutes=1)), reset_form="iso8601",
                     exact=["limit", "remaining"]),
                   q("beta-ietf-08", "current", limit=65000, remaining=64000,
                     window_us=3600 * S, reset_us=1800 * S, reset_form="delta-seconds",
                     policy="global-app-quota")],
        "near_limit": True})
    end = c.add(10, 429, [("X-RateLimit-Limit", "350"), ("X-RateLimit-Remaining", "0"),
                          ("X-RateLimit-Reset", "2025-06-02T10:01:00Z"), ("Retry-After", "50"),
                          ("RateLimit-Reason", "jira-burst-based")],
                '{"errorMessages":["Rate limit exceeded"]}')
    c.expected[-1].update({
        "quotas": [q("jira", "requests", limit=350, remaining=0,
                     reset_us=ahead(end, T0 + dt.timedelta(minutes=1)), reset_form="iso8601",
                     exact=["limit", "remaining"])],
        "retry": retry(50.0), "reason": {"dialect": "jira", "text": "jira-burst-based"}})
    c.write(["jira-cloud"], ["https://developer.atlassian.com/cloud/jira/platform/rate-limiting/"])

    # the X-RateLimit-* family: a reset in every form servers write
    c = Capture("x-ratelimit", "api.example.com")
    forms = [("30", "delta-seconds", None), ("1748858460", "epoch-seconds", 60),
             ("1748858460000", "epoch-milliseconds", 60),
             ("Mon, 02 Jun 2025 10:01:00 GMT", "http-date", 60),
             ("2025-06-02T10:01:00Z", "iso8601", 60)]
    for i, (v, form, at) in enumerate(forms):
        end = c.add(i, 200, [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", str(99 - i)),
                             ("X-RateLimit-Used", str(i + 1)), ("X-RateLimit-Reset", v)], "{}")
        reset = 30 * S if at is None else ahead(end, T0 + dt.timedelta(seconds=at))
        c.expected[-1]["quotas"] = [q("x-ratelimit", "requests", limit=100, remaining=99 - i,
                                      used=i + 1, reset_us=reset, reset_form=form,
                                      exact=["limit", "remaining", "used"]
                                      + (["reset"] if at is None else []))]
    c.write([], ["https://github.com/ietf-wg-httpapi/ratelimit-headers (existing X-RateLimit fields)"])

    # Kong: per-unit suffixes, draft-03 fields, its 429 body
    c = Capture("kong", "kong.example.com")
    c.add(0, 200, [("X-RateLimit-Limit-Minute", "5"), ("X-RateLimit-Remaining-Minute", "4"),
                   ("X-RateLimit-Limit-Hour", "100"), ("X-RateLimit-Remaining-Hour", "99"),
                   ("RateLimit-Limit", "5"), ("RateLimit-Remaining", "4"),
                   ("RateLimit-Reset", "47")], "{}",
          {"quotas": [q("x-ratelimit", "minute", limit=5, remaining=4, window_us=60 * S,
                        exact=["limit", "remaining"]),
                      q("x-ratelimit", "hour", limit=100, remaining=99, window_us=3600 * S,
                        exact=["limit", "remaining"]),
                      q("ietf-03", "current", limit=5, remaining=4, reset_us=47 * S,
                        reset_form="delta-seconds", exact=["limit", "remaining", "reset"])]})
    c.add(1, 429, [("X-RateLimit-Limit-Minute", "5"), ("X-RateLimit-Remaining-Minute", "0"),
                   ("Retry-After", "46")], '{"message":"API rate limit exceeded"}',
          {"quotas": [q("x-ratelimit", "minute", limit=5, remaining=0, window_us=60 * S,
                        exact=["limit", "remaining"])],
           "retry": retry(46.0), "body": body("kong", "API rate limit exceeded")})
    c.write([], ["https://docs.konghq.com/hub/kong-inc/rate-limiting/"])

    # Envoy: draft-03 fields with the X- prefix, x-envoy-ratelimited
    c = Capture("envoy", "gw.example.com")
    c.add(0, 200, [("x-ratelimit-limit", "10, 10;w=60"), ("x-ratelimit-remaining", "9"),
                   ("x-ratelimit-reset", "42")], "{}",
          {"quotas": [q("envoy", "current", limit=10, remaining=9, reset_us=42 * S,
                        reset_form="delta-seconds", exact=["remaining", "reset"]),
                      q("envoy", "policy", limit=10, window_us=60 * S)]})
    c.add(1, 429, [("x-ratelimit-limit", "10, 10;w=60"), ("x-ratelimit-remaining", "0"),
                   ("x-ratelimit-reset", "41"), ("x-envoy-ratelimited", "true")], "",
          {"quotas": [q("envoy", "current", limit=10, remaining=0, reset_us=41 * S,
                        reset_form="delta-seconds", exact=["remaining", "reset"]),
                      q("envoy", "policy", limit=10, window_us=60 * S)],
           "refused_by": "envoy"})
    c.write([], ["https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/ratelimit/v3/rate_limit.proto"])

    # GitHub REST
    c = Capture("github", "api.github.com")
    end = c.add(0, 200, [("x-ratelimit-limit", "5000"), ("x-ratelimit-remaining", "4999"),
                         ("x-ratelimit-used", "1"), ("x-ratelimit-reset", "1748862000"),
                         ("x-ratelimit-resource", "core")], "{}", path="/user")
    c.expected[-1]["quotas"] = [q("github", "requests", limit=5000, remaining=4999, used=1,
                                  reset_us=ahead(end, T0 + dt.timedelta(hours=1)),
                                  reset_form="epoch-seconds",
                                  exact=["limit", "remaining", "used"], policy="core")]
    end = c.add(1, 403, [("x-ratelimit-limit", "5000"), ("x-ratelimit-remaining", "0"),
                         ("x-ratelimit-used", "5000"), ("x-ratelimit-reset", "1748862000"),
                         ("x-ratelimit-resource", "core")],
                '{"message":"API rate limit exceeded for user ID 1.","documentation_url":'
                '"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}',
                path="/user")
    c.expected[-1]["quotas"] = [q("github", "requests", limit=5000, remaining=0, used=5000,
                                  reset_us=ahead(end, T0 + dt.timedelta(hours=1)),
                                  reset_form="epoch-seconds",
                                  exact=["limit", "remaining", "used"], policy="core")]
    c.write(["github"], ["https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api"])

    # GitHub GraphQL: data.rateLimit, RATE_LIMITED
    c = Capture("github-graphql", "api.github.com")
    end = c.add(0, 200, [], '{"data":{"viewer":{"login":"octocat"},"rateLimit":{"limit":5000,'
                '"cost":1,"remaining":4999,"used":1,"resetAt":"2025-06-02T11:00:00Z"}}}',
                method="POST", path="/graphql")
    c.expected[-1].update({
        "quotas": [q("github-graphql", "points", unit="points", limit=5000, remaining=4999,
                     used=1, reset_us=ahead(end, T0 + dt.timedelta(hours=1)),
                     reset_form="iso8601", cost=1.0)],
        "costs": [{"source": "body:data.rateLimit.cost", "value": 1.0}]})
    c.add(1, 200, [], '{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded '
          'for user ID 1."}]}', {"body": body("graphql", "RATE_LIMITED")},
          method="POST", path="/graphql")
    c.write(["github-graphql"], ["https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api"])

    # Discord
    c = Capture("discord", "discord.com")
    c.add(0, 200, [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "4"),
                   ("X-RateLimit-Reset", "1748858401.470"), ("X-RateLimit-Reset-After", "1.37"),
                   ("X-RateLimit-Bucket", "abcd1234")], "{}",
          {"quotas": [q("discord", "bucket", limit=5, remaining=4, reset_us=1_370_000,
                        reset_form="delta-seconds", exact=["limit", "remaining", "reset"],
                        policy="abcd1234")]}, path="/api/v10/channels/1/messages")
    c.add(1, 429, [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"),
                   ("X-RateLimit-Reset-After", "64.57"), ("X-RateLimit-Bucket", "abcd1234"),
                   ("X-RateLimit-Scope", "user"), ("Retry-After", "65")],
          '{"message":"You are being rate limited.","retry_after":64.57,"global":false}',
          {"quotas": [q("discord", "bucket", limit=5, remaining=0, reset_us=64_570_000,
                        reset_form="delta-seconds", exact=["limit", "remaining", "reset"],
                        policy="abcd1234")],
           "retry": retry(65.0), "scope": "user",
           "body": body("discord-body", retry_in_s=64.57)},
          path="/api/v10/channels/1/messages")
    c.add(2, 429, [("X-RateLimit-Global", "true"), ("X-RateLimit-Scope", "global"),
                   ("Retry-After", "1")],
          '{"message":"You are being rate limited.","retry_after":0.5,"global":true}',
          {"retry": retry(1.0), "scope": "global",
           "body": body("discord-body", retry_in_s=0.5, scope="global")},
          path="/api/v10/channels/1/messages")
    c.write(["discord"], ["https://discord.com/developers/docs/topics/rate-limits"])

    # Atlassian Data Center: a token bucket
    c = Capture("atlassian-dc", "jira.example.com")
    c.add(0, 200, [("X-RateLimit-Limit", "20"), ("X-RateLimit-Remaining", "19"),
                   ("X-RateLimit-FillRate", "5"), ("X-RateLimit-Interval-Seconds", "1")], "{}",
          {"quotas": [q("atlassian-dc", "bucket", limit=20, remaining=19,
                        exact=["limit", "remaining"], refill=[5.0, S])]})
    c.add(1, 429, [("X-RateLimit-Limit", "20"), ("X-RateLimit-Remaining", "0"),
                   ("X-RateLimit-FillRate", "5"), ("X-RateLimit-Interval-Seconds", "1"),
                   ("retry-after", "1")], "",
          {"quotas": [q("atlassian-dc", "bucket", limit=20, remaining=0,
                        exact=["limit", "remaining"], refill=[5.0, S])], "retry": retry(1.0)})
    c.write([], ["https://confluence.atlassian.com/conf87/_ratelimiting_httpheaders-1333822054.html"])

    # Okta: epoch-second resets, E0000047
    c = Capture("okta", "dev-123456.okta.com")
    end = c.add(0, 429, [("X-Rate-Limit-Limit", "600"), ("X-Rate-Limit-Remaining", "0"),
                         ("X-Rate-Limit-Reset", "1748858460")],
                '{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too '
                'many requests.","errorLink":"E0000047","errorId":"sampleQPivGUj_ND5v78vbYWW",'
                '"errorCauses":[]}', path="/api/v1/users")
    c.expected[-1].update({
        "quotas": [q("okta", "requests", limit=600, remaining=0,
                     reset_us=ahead(end, T0 + dt.timedelta(minutes=1)),
                     reset_form="epoch-seconds", exact=["limit", "remaining"])],
        "body": body("okta-body", "E0000047")})
    c.write(["okta"], ["https://developer.okta.com/docs/reference/rl-best-practices/",
                       "https://developer.okta.com/docs/reference/error-codes/#E0000047"])

    # X (Twitter)
    c = Capture("x", "api.x.com")
    end = c.add(0, 429, [("x-rate-limit-limit", "900"), ("x-rate-limit-remaining", "0"),
                         ("x-rate-limit-reset", "1748859300")],
                '{"errors":[{"code":88,"message":"Rate limit exceeded"}]}', path="/2/tweets")
    c.expected[-1].update({
        "quotas": [q("x", "requests", limit=900, remaining=0,
                     reset_us=ahead(end, T0 + dt.timedelta(minutes=15)),
                     reset_form="epoch-seconds", exact=["limit", "remaining"])],
        "body": body("x-body", "88")})
    c.write(["x"], ["https://docs.x.com/x-api/fundamentals/rate-limits"])

    # Zendesk
    c = Capture("zendesk", "acme.zendesk.com")
    c.add(0, 200, [("X-Rate-Limit", "700"), ("X-Rate-Limit-Remaining", "699"),
                   ("zendesk-ratelimit-tickets-index", "total=100; remaining=99; resets=41")],
          "{}", {"quotas": [q("zendesk", "account", limit=700, remaining=699,
                             window_us=60 * S, exact=["limit", "remaining"]),
                           q("zendesk", "tickets-index", limit=100, remaining=99,
                             reset_us=41 * S, reset_form="delta-seconds")]},
          path="/api/v2/tickets")
    c.add(1, 429, [("X-Rate-Limit", "700"), ("X-Rate-Limit-Remaining", "0"),
                   ("Retry-After", "41")], "",
          {"quotas": [q("zendesk", "account", limit=700, remaining=0, window_us=60 * S,
                        exact=["limit", "remaining"])], "retry": retry(41.0)},
          path="/api/v2/tickets")
    c.write(["zendesk"], ["https://developer.zendesk.com/api-reference/introduction/rate-limits/"])

    # HubSpot
    c = Capture("hubspot", "api.hubapi.com")
    c.add(0, 200, [("X-HubSpot-RateLimit-Daily", "250000"),
                   ("X-HubSpot-RateLimit-Daily-Remaining", "249999"),
                   ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"),
                   ("X-HubSpot-RateLimit-Max", "100"), ("X-HubSpot-RateLimit-Remaining", "99"),
                   ("X-HubSpot-RateLimit-Secondly", "10"),
                   ("X-HubSpot-RateLimit-Secondly-Remaining", "9")], "{}",
          {"quotas": [q("hubspot", "interval", limit=100, remaining=99, window_us=10 * S,
                        exact=["limit", "remaining"]),
                      q("hubspot", "secondly", limit=10, remaining=9, window_us=S,
                        exact=["limit", "remaining"]),
                      q("hubspot", "daily", limit=250000, remaining=249999,
                        window_us=86400 * S, exact=["limit", "remaining"])]},
          path="/crm/v3/objects/contacts")
    c.add(1, 429, [("X-HubSpot-RateLimit-Max", "100"), ("X-HubSpot-RateLimit-Remaining", "0")],
          '{"status":"error","message":"You have reached your ten_secondly_rolling limit.",'
          '"errorType":"RATE_LIMIT","correlationId":"c70c9b30-5a9a","policyName":'
          '"TEN_SECONDLY_ROLLING","requestId":"r-1"}',
          {"quotas": [q("hubspot", "interval", limit=100, remaining=0,
                        exact=["limit", "remaining"])],
           "body": body("hubspot-body", "RATE_LIMIT", policies=["TEN_SECONDLY_ROLLING"])},
          path="/crm/v3/objects/contacts")
    c.write(["hubspot"], ["https://developers.hubspot.com/docs/api/usage-details"])

    # OpenAI
    c = Capture("openai", "api.openai.com")
    headers = [("x-ratelimit-limit-requests", "60"), ("x-ratelimit-limit-tokens", "150000"),
               ("x-ratelimit-remaining-requests", "59"),
               ("x-ratelimit-remaining-tokens", "149984"),
               ("x-ratelimit-reset-requests", "1s"), ("x-ratelimit-reset-tokens", "6m0s")]
    openai_quotas = [q("openai", "requests", limit=60, remaining=59, reset_us=S,
                       reset_form="duration", exact=["limit", "remaining"]),
                     q("openai", "tokens", unit="tokens", limit=150000, remaining=149984,
                       reset_us=360 * S, reset_form="duration", exact=["limit", "remaining"])]
    c.add(0, 200, headers, '{"id":"chatcmpl-1","object":"chat.completion","usage":'
          '{"prompt_tokens":13,"completion_tokens":5,"total_tokens":18}}',
          {"quotas": openai_quotas,
           "costs": [{"source": "body:usage.total_tokens", "value": 18.0}]},
          method="POST", path="/v1/chat/completions")
    c.add(1, 429, [("retry-after", "2"), ("retry-after-ms", "1500")],
          '{"error":{"message":"Rate limit reached for gpt-4 in organization org-abc on tokens '
          'per min (TPM): Limit 10000, Used 9800, Requested 450. Please try again in 1.5s. '
          'Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens",'
          '"param":null,"code":"rate_limit_exceeded"}}',
          {"retry": retry(1.5, "millis"),
           "body": body("openai-body", "rate_limit_exceeded", limit=10000, used=9800,
                        requested=450, retry_in_s=1.5, window_s=60.0)},
          method="POST", path="/v1/chat/completions")
    c.add(2, 429, [], '{"error":{"message":"You exceeded your current quota, please check your '
          'plan and billing details.","type":"insufficient_quota","param":null,'
          '"code":"insufficient_quota"}}',
          {"body": body("openai-body", "insufficient_quota", rate_limited=False)},
          method="POST", path="/v1/chat/completions")
    c.write(["openai"], ["https://platform.openai.com/docs/guides/rate-limits",
                         "https://platform.openai.com/docs/guides/error-codes"])

    # Anthropic: RFC 3339 resets
    c = Capture("anthropic", "api.anthropic.com")
    end = c.add(0, 429, [("anthropic-ratelimit-requests-limit", "50"),
                         ("anthropic-ratelimit-requests-remaining", "0"),
                         ("anthropic-ratelimit-requests-reset", "2025-06-02T10:00:20Z"),
                         ("anthropic-ratelimit-output-tokens-limit", "8000"),
                         ("anthropic-ratelimit-output-tokens-remaining", "8000"),
                         ("retry-after", "20")],
                '{"type":"error","error":{"type":"rate_limit_error","message":"Number of '
                'requests has exceeded your per-minute rate limit"}}',
                method="POST", path="/v1/messages")
    c.expected[-1].update({
        "quotas": [q("anthropic", "requests", limit=50, remaining=0,
                     reset_us=ahead(end, T0 + dt.timedelta(seconds=20)), reset_form="iso8601",
                     exact=["limit", "remaining"]),
                   q("anthropic", "output-tokens", unit="tokens", limit=8000, remaining=8000,
                     exact=["limit", "remaining"])],
        "retry": retry(20.0), "body": body("anthropic-body", "rate_limit_error")})
    c.write(["anthropic"], ["https://docs.anthropic.com/en/api/rate-limits",
                            "https://docs.anthropic.com/en/api/errors"])

    # Shopify REST
    c = Capture("shopify-rest", "acme.myshopify.com")
    c.add(0, 200, [("X-Shopify-Shop-Api-Call-Limit", "32/40")], "{}",
          {"quotas": [q("shopify-rest", "bucket", limit=40, used=32)]},
          path="/admin/api/2024-01/products.json")
    c.add(1, 429, [("X-Shopify-Shop-Api-Call-Limit", "40/40"), ("Retry-After", "2.0")],
          '{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume '
          'uninterrupted service."}',
          {"quotas": [q("shopify-rest", "bucket", limit=40, used=40)], "retry": retry(2.0),
           "body": body("shopify-rest", limit=2, window_s=1.0)},
          path="/admin/api/2024-01/products.json")
    c.write(["shopify-rest"], ["https://shopify.dev/docs/api/admin-rest/usage/rate-limits"])

    # Shopify GraphQL: the cost object after a long data member (kept in the body's tail)
    c = Capture("shopify-graphql", "acme.myshopify.com")
    products = ",".join('{"id":"gid://shopify/Product/%d","title":"Product %d"}' % (i, i)
                        for i in range(200))
    c.add(0, 200, [], '{"data":{"products":{"nodes":[%s]}},"extensions":{"cost":{'
          '"requestedQueryCost":52,"actualQueryCost":12,"throttleStatus":{"maximumAvailable":'
          '2000.0,"currentlyAvailable":1988,"restoreRate":100.0}}}}' % products,
          {"quotas": [q("shopify-graphql", "points", unit="points", limit=2000,
                        remaining=1988, refill=[100.0, S], cost=12.0)],
           "costs": [{"source": "body:extensions.cost.actualQueryCost", "value": 12.0},
                     {"source": "body:extensions.cost.requestedQueryCost", "value": 52.0}]},
          method="POST", path="/admin/api/2024-01/graphql.json")
    c.add(1, 200, [], '{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED",'
          '"documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{'
          '"requestedQueryCost":202,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":'
          '2000.0,"currentlyAvailable":89,"restoreRate":100.0}}}}',
          {"quotas": [q("shopify-graphql", "points", unit="points", limit=2000, remaining=89,
                        refill=[100.0, S])],
           "body": body("graphql", "THROTTLED", requested=202),
           "costs": [{"source": "body:extensions.cost.requestedQueryCost", "value": 202.0}]},
          method="POST", path="/admin/api/2024-01/graphql.json")
    c.write(["shopify-graphql"], ["https://shopify.dev/docs/api/usage/rate-limits"])

    # Salesforce
    c = Capture("salesforce", "acme.my.salesforce.com")
    c.add(0, 200, [("Sforce-Limit-Info",
                    "api-usage=18/5000, per-app-api-usage=17/250(appName=sample-connected-app)")],
          "{}", {"quotas": [q("salesforce", "api-usage", limit=5000, used=18,
                             window_us=86400 * S),
                           q("salesforce", "per-app-api-usage", limit=250, used=17,
                             policy="sample-connected-app")]},
          path="/services/data/v60.0/sobjects/Account")
    c.add(1, 403, [("Sforce-Limit-Info", "api-usage=5001/5000")],
          '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]',
          {"quotas": [q("salesforce", "api-usage", limit=5000, used=5001, window_us=86400 * S)],
           "body": body("salesforce-body", "REQUEST_LIMIT_EXCEEDED")},
          path="/services/data/v60.0/sobjects/Account")
    c.write(["salesforce"], ["https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm"])

    # Microsoft Graph
    c = Capture("microsoft-graph", "graph.microsoft.com")
    c.add(0, 200, [("x-ms-resource-unit", "1"), ("x-ms-throttle-limit-percentage", "0.8")],
          "{}", {"quotas": [q("microsoft-graph", "resource-units", used_share=0.8)],
                 "costs": [{"source": "header:x-ms-resource-unit", "value": 1.0}]},
          path="/v1.0/users")
    c.add(1, 429, [("Retry-After", "10"), ("x-ms-resource-unit", "2"),
                   ("x-ms-throttle-limit-percentage", "1.2"),
                   ("x-ms-throttle-scope", "Tenant_Application/ReadWrite/9a3b0000/00000003"),
                   ("x-ms-throttle-information", "ResourceUnitLimitExceeded")],
          '{"error":{"code":"TooManyRequests","message":"Please retry after","innerError":'
          '{"code":"429","date":"2025-06-02T10:00:01","request-id":"r","status":"429"}}}',
          {"quotas": [q("microsoft-graph", "resource-units", used_share=1.2)],
           "retry": retry(10.0), "scope": "application",
           "reason": {"dialect": "microsoft-graph", "text": "ResourceUnitLimitExceeded"},
           "body": body("microsoft-graph-body", "TooManyRequests"),
           "costs": [{"source": "header:x-ms-resource-unit", "value": 2.0}]},
          path="/v1.0/users")
    c.write(["microsoft-graph"], ["https://learn.microsoft.com/en-us/graph/throttling",
                                  "https://learn.microsoft.com/en-us/graph/throttling-limits"])

    # Stripe
    c = Capture("stripe", "api.stripe.com")
    c.add(0, 429, [("Stripe-Rate-Limited-Reason", "global-rate")],
          '{"error":{"code":"rate_limit","doc_url":"https://docs.stripe.com/error-codes/rate-limit",'
          '"message":"Too many requests hit the API too quickly.","type":"invalid_request_error"}}',
          {"reason": {"dialect": "stripe", "text": "global-rate"},
           "body": body("stripe-body", "rate_limit")}, method="POST", path="/v1/charges")
    c.add(1, 429, [],
          '{"error":{"code":"lock_timeout","doc_url":"https://docs.stripe.com/error-codes/lock-timeout",'
          '"message":"This object cannot be accessed right now because another API request or '
          'Stripe process is currently accessing it.","type":"invalid_request_error"}}',
          {"body": body("stripe-body", "lock_timeout", rate_limited=False)},
          method="POST", path="/v1/charges")
    c.write(["stripe"], ["https://docs.stripe.com/rate-limits", "https://docs.stripe.com/error-codes"])

    # Slack
    c = Capture("slack", "slack.com")
    c.add(0, 429, [("Retry-After", "30")], '{"ok":false,"error":"ratelimited"}',
          {"retry": retry(30.0), "body": body("slack", "ratelimited")},
          method="POST", path="/api/chat.postMessage")
    c.write(["slack"], ["https://api.slack.com/apis/rate-limits"])

    # Google APIs: RESOURCE_EXHAUSTED with ErrorInfo; older 403 reasons
    c = Capture("google", "sheets.googleapis.com")
    c.add(0, 429, [],
          '{"error":{"code":429,"message":"Quota exceeded for quota metric \'Read requests\' and '
          'limit \'Read requests per minute per user\' of service \'sheets.googleapis.com\'",'
          '"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.'
          'ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com","metadata":{'
          '"quota_metric":"sheets.googleapis.com/read_requests","quota_limit":'
          '"ReadRequestsPerMinutePerUser","quota_limit_value":"60","service":'
          '"sheets.googleapis.com"}}]}}',
          {"body": body("google", "RATE_LIMIT_EXCEEDED", limit=60,
                        policies=["ReadRequestsPerMinutePerUser"])},
          path="/v4/spreadsheets/1")
    c.add(1, 403, [],
          '{"error":{"errors":[{"domain":"usageLimits","reason":"userRateLimitExceeded",'
          '"message":"User Rate Limit Exceeded"}],"code":403,"message":"User Rate Limit Exceeded"}}',
          {"body": body("google", "userRateLimitExceeded")}, path="/v4/spreadsheets/1")
    c.write([], ["https://cloud.google.com/apis/design/errors#error_info",
                 "https://developers.google.com/drive/api/guides/limits"])

    # nginx limit_req: 503 and its built-in page
    c = Capture("nginx", "api.example.com")
    c.add(0, 503, [("Server", "nginx/1.22.1")],
          "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
          "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx/1.22.1"
          "</center>\r\n</body>\r\n</html>\r\n",
          {"body": body("nginx", "nginx-503-page", rate_limited=False)}, mime="text/html")
    c.write([], ["https://nginx.org/en/docs/http/ngx_http_limit_req_module.html#limit_req_status"])

    # Cloudflare 1015, as API clients get it
    c = Capture("cloudflare", "api.example.com")
    c.add(0, 429, [("Retry-After", "60")], "error code: 1015",
          {"retry": retry(60.0), "body": body("cloudflare", "1015")}, mime="text/plain")
    c.write([], ["https://developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-1xxx-errors/error-1015/"])

    # Retry-After in every form, and the milliseconds headers
    c = Capture("retry-after", "api.example.com")
    c.add(0, 429, [("Retry-After", "2.5")], "", {"retry": retry(2.5)})
    c.add(1, 429, [("Date", "Mon, 02 Jun 2025 10:00:01 GMT"),
                   ("Retry-After", "Mon, 02 Jun 2025 10:01:01 GMT")], "",
          {"retry": retry(60.0, "http-date")})
    c.add(2, 429, [("retry-after-ms", "750"), ("Retry-After", "1")], "",
          {"retry": retry(0.75, "millis")})
    c.add(3, 429, [("x-ms-retry-after-ms", "2500")], "", {"retry": retry(2.5, "millis")})
    c.write([], ["https://www.rfc-editor.org/rfc/rfc9110#field.retry-after",
                 "https://learn.microsoft.com/en-us/azure/ai-services/openai/quotas-limits"])


if __name__ == "__main__":
    main()
