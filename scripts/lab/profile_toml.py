"""Writes a why429 limit profile (TOML, docs/profile-format.md) from a lab server config.

Owns the mapping from a scenario's layers to what its documentation says: only documented
layers, with their documented numbers (`documented_as` overrides the enforced ones where
the documentation is wrong), `count_rejected` only where the documentation states it, and
`throttle_status` / `throttle_codes` when throttles are not plain 429s.  Undocumented
layers are left out on purpose: why429 must discover them.

Used by scripts/lab-profile.py (from a recorded config.json, exact host and port) and by
generate.py (before recording: host without port, which matches any port).
"""

import limiters

SOURCE = "https://example.invalid/lab-scenario-documentation"


def window(seconds):
    ms = round(float(seconds) * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def rate(per_s):
    return "%s/s" % ("%g" % float(per_s))


def per(key):
    out = []
    for k in key:
        if k in ("template", "method"):
            k = "endpoint"
        if k not in out:
            out.append(k)
    return out


def tz(offset_min):
    m = int(offset_min)
    return "UTC" if m == 0 else "%s%02d:%02d" % ("+" if m > 0 else "-", abs(m) // 60, abs(m) % 60)


def quoted(items):
    return "[" + ", ".join(f'"{x}"' for x in items) + "]"


def layer_lines(layer, where):
    """The [[layer]] table of one documented layer."""
    doc = layer.get("documented_as") or {}
    eff = dict(layer, **{k: v for k, v in doc.items() if k != "count_rejected"})
    alg = limiters.algorithm_of(eff)
    out = ["[[layer]]", f'name = "{layer["name"]}"']
    if alg in limiters.BUCKET_ALGORITHMS:
        out.append('algorithm = "%s"' % alg.replace("_", "-"))
        out.append("capacity = %s" % ("%g" % float(eff["capacity"])))
        out.append(f'rate = "{rate(eff["rate_per_s"])}"')
        if eff.get("refill_interval_s"):
            out.append('refill = "interval"')
            out.append(f'interval = "{window(eff["refill_interval_s"])}"')
    else:
        out.append(f"limit = {eff['limit']}")
        if alg == "concurrency":
            out.append('kind = "concurrency"')
            if eff.get("min_age_s"):
                out.append(f'min_age = "{window(eff["min_age_s"])}"')
        else:
            out.append(f'window = "{window(eff["window_s"])}"')
            if alg == "fixed":
                align = eff.get("window_align", "epoch")
                if align == "epoch":
                    out.append('algorithm = "fixed-aligned"')
                elif align == "first":
                    out.append('algorithm = "fixed"')
                else:
                    out += ['algorithm = "fixed"', 'anchor = "calendar"',
                            f'tz = "{tz(eff.get("tz_offset_min", 0))}"']
            elif alg == "sliding_counter":
                out.append('algorithm = "sliding-counter"')
                if eff.get("admit_equal") is False:
                    out.append("admit_equal = false")
    out.append("per = " + quoted(per(layer["key"])))
    match = layer.get("match", {})
    if "method" in match:
        m = match["method"]
        out.append(f'method = {quoted(m)}' if isinstance(m, list) else f'method = "{m}"')
    if "template" in match:
        out.append(f'template = "{match["template"]}"')
    elif "template_prefix" in match:
        out.append(f'template = "{match["template_prefix"].rstrip("/")}/**"')
    if match.get("clients") or match.get("exclude_clients"):
        raise SystemExit(f"{where}: client filters cannot be expressed in a profile")
    if "count_rejected" in doc:
        out.append("count_rejected = %s" % ("true" if doc["count_rejected"] else "false"))
    if layer.get("penalty_s"):
        out.append(f'penalty = "{window(layer["penalty_s"])}"')
    if layer.get("cost"):
        out.append("cost = { " + ", ".join(f"{m} = {c}" for m, c in sorted(layer["cost"].items()))
                   + " }")
    out.append(f'source = "{SOURCE}"')
    if layer.get("description"):
        desc = layer["description"].replace('"', "'")
        out.append(f'note = "{desc}"')
    return out


def throttle_lines(server):
    statuses = {server.get("throttle_status", 429)}
    statuses |= {l["throttle_status"] for l in server["layers"] if "throttle_status" in l}
    out = []
    codes = 200 in statuses
    statuses.discard(200)
    if statuses - {429}:
        out.append("throttle_status = [%s]" % ", ".join(str(s) for s in sorted(statuses | {429})))
    if codes:
        out.append('throttle_codes = ["THROTTLED"]')
    return out


def profile_text(server, scenario, host, origin_note, writer="scripts/lab-profile.py"):
    """The whole profile.  `server` is the effective server config, `host` e.g.
    "127.0.0.1:44071" (or "127.0.0.1" for any port), `origin_note` where it came from."""
    out = [f"# Documented layers of lab scenario {scenario}, from {origin_note}.",
           f"# Written by {writer}; undocumented layers are left out on purpose.",
           f'name = "lab-{scenario}"',
           f'description = "lab API of scenario {scenario}"',
           f'hosts = ["{host}"]',
           "templates = ["]
    out += [f'  "{t}",' for t in server.get("templates", [])]
    out.append("]")
    out += throttle_lines(server)
    for layer in server["layers"]:
        if not layer.get("documented", True):
            continue
        out.append("")
        out += layer_lines(layer, scenario)
    return "\n".join(out) + "\n"
