#!/usr/bin/env python3
"""Writes the why429 limit profile (TOML, docs/profile-format.md) of one gateway-lab capture.

Owns the mapping from a scenario's `gateway` section to profile layers: one layer per limit
zone, named as the zone.  nginx limit_req -> leaky-bucket, variant nginx, capacity = burst + 1;
limit_conn -> concurrency; governor -> gcra with capacity = burst.  The gateway's port is
chosen per run, so the profile is written after recording from <s>.config.json.

    python3 profile.py OUT/<s>.config.json > OUT/<s>.profile.toml
"""
import json
import sys

NGINX_REQ = "https://nginx.org/en/docs/http/ngx_http_limit_req_module.html"
NGINX_CONN = "https://nginx.org/en/docs/http/ngx_http_limit_conn_module.html"
GOVERNOR = "https://docs.rs/governor/0.10.4/governor/struct.Quota.html"


def nginx_rate(rate):
    n, unit = rate[:-3], rate[-3:]
    return "%s/%s" % (n, {"r/s": "s", "r/m": "min"}[unit])


def layers(gw):
    if gw["kind"] == "governor":
        yield [("name", gw["zone"]), ("algorithm", "gcra"), ("capacity", int(gw.get("burst", gw["n"]))),
               ("rate", "%d/%s" % (gw["n"], {"second": "s", "minute": "min"}[gw.get("per", "second")])),
               ("per", ["token"]), ("count_rejected", False), ("source", GOVERNOR),
               ("note", "governor Quota::per_%s(%d).allow_burst(%d)"
                % (gw.get("per", "second"), gw["n"], gw.get("burst", gw["n"])))]
        return
    for z in gw["zones"]:
        if z["kind"] == "conn":
            yield [("name", z["name"]), ("kind", "concurrency"), ("limit", int(z["limit"])),
                   ("per", ["token"]), ("source", NGINX_CONN),
                   ("note", "nginx limit_conn %s %d" % (z["name"], z["limit"]))]
            continue
        burst = int(z.get("burst", 0))
        layer = [("name", z["name"]), ("algorithm", "leaky-bucket"), ("variant", "nginx"),
                 ("capacity", burst + 1), ("rate", nginx_rate(z["rate"]))]
        if not z.get("nodelay"):
            layer.append(("delay", int(z.get("delay", 0))))
        directive = "limit_req zone=%s rate=%s burst=%d%s" % (
            z["name"], z["rate"], burst,
            " nodelay" if z.get("nodelay") else (" delay=%d" % z["delay"] if z.get("delay") else ""))
        layer += [("per", ["token"]), ("count_rejected", False), ("source", NGINX_REQ),
                  ("note", directive)]
        yield layer


def toml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml(x) for x in v) + "]"
    return json.dumps(v)


def main(path):
    cfg = json.load(open(path))
    eff = cfg["effective_server_config"]
    gw = eff["gateway"]
    host = cfg["run"]["api_origin"].split("://", 1)[1]
    name = cfg["scenario"]
    if gw["kind"] == "governor":
        status = [429]
    else:
        status = [429, 503] if int(gw.get("status", 503)) == 429 else [503]
    print("# Limits of gateway-lab scenario %s (%s), from %s." % (name, gw["kind"], path.rsplit("/", 1)[-1]))
    print("# Written by scripts/lab/gateway/profile.py: one layer per limit zone, named as the zone.")
    print('name = "lab-gateway-%s"' % name)
    print('description = "%s in front of the lab API, scenario %s"' % (
        "nginx" if gw["kind"] == "nginx" else "governor-gate", name))
    print('hosts = ["%s"]' % host)
    print('hidden_sources = "other tabs, sync jobs and apps that use the same token"')
    print("throttle_status = %s" % toml(status))
    for layer in layers(gw):
        print()
        print("[[layer]]")
        for k, v in layer:
            print("%s = %s" % (k, toml(v)))


if __name__ == "__main__":
    main(sys.argv[1])
