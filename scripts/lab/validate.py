"""Checks a scenario and its effective server config before anything runs.

Owns every "this scenario cannot mean what it says" error: unknown styles, algorithms,
key dimensions or options, missing numbers, references to layers or tokens that do not
exist, and client streams that could not run.  Errors name the scenario part at fault and
are raised as SystemExit so server.py, generate.py and expect.py stop with one clear line.

    python3 validate.py SCENARIO.json ...     # checks files without starting anything
"""

import json
import sys

import limiters
from layers import KEY_DIMENSIONS
from throttle_response import BODY_STYLES, HEADER_STYLES, RESET_FORMATS, THROTTLE_STATUSES

LAYER_KEYS = {
    "name", "description", "documented", "kind", "algorithm", "match", "key", "limit",
    "window_s", "window_align", "tz_offset_min", "capacity", "rate_per_s", "refill_interval_s",
    "admit_equal", "min_age_s", "count_rejected", "penalty_s", "cost", "retry_after",
    "retry_after_s", "retry_after_header", "delay_429_ms", "disguise_as", "message",
    "body_style", "header_style", "x_ratelimit_reset", "ratelimit_headers_on_429",
    "throttle_status", "documented_as",
}
MATCH_KEYS = {"method", "template", "template_prefix", "clients", "exclude_clients"}
DOCUMENTED_AS_KEYS = {"limit", "window_s", "capacity", "rate_per_s", "count_rejected"}
BACKGROUND_KEYS = {"token", "rate_per_s", "start_s", "duration_s", "jitter", "seed", "method",
                   "path", "paths", "pattern", "rate_end_per_s", "burst_size", "burst_every_s",
                   "burst_gap_ms", "hold", "label"}
CALENDAR_UNITS = (1, 60, 3600, 86400)


def fail(where, msg):
    raise SystemExit("%s: %s" % (where, msg))


def positive(where, obj, name, integer=False):
    v = obj.get(name)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
        fail(where, "%s must be a positive number (got %r)" % (name, v))
    if integer and int(v) != v:
        fail(where, "%s must be a whole number (got %r)" % (name, v))


def check_styles(where, obj):
    if obj.get("body_style", "legacy") not in BODY_STYLES:
        fail(where, "body_style must be one of %s" % (BODY_STYLES,))
    if obj.get("header_style", "inin") not in HEADER_STYLES:
        fail(where, "header_style must be one of %s" % (HEADER_STYLES,))
    if obj.get("x_ratelimit_reset", "delta") not in RESET_FORMATS:
        fail(where, "x_ratelimit_reset must be one of %s" % (RESET_FORMATS,))
    if obj.get("throttle_status", 429) not in THROTTLE_STATUSES:
        fail(where, "throttle_status must be one of %s" % (THROTTLE_STATUSES,))


def check_layer(layer, names):
    where = "layer %s" % layer.get("name")
    if not layer.get("name"):
        fail("layers", "a layer has no name")
    if layer["name"] in names:
        fail(where, "the name is used twice")
    names.add(layer["name"])
    unknown = set(layer) - LAYER_KEYS
    if unknown:
        fail(where, "unknown keys %s" % sorted(unknown))
    check_styles(where, layer)
    if layer.get("kind", "rate") not in ("rate", "concurrency"):
        fail(where, "unknown kind %r" % layer.get("kind"))
    alg = limiters.algorithm_of(layer)
    if alg not in limiters.ALGORITHMS:
        fail(where, "unknown algorithm %r (one of %s)" % (alg, sorted(limiters.ALGORITHMS)))
    if layer.get("kind", "rate") == "rate" and alg == "concurrency":
        fail(where, 'algorithm "concurrency" needs kind "concurrency"')
    if alg in limiters.BUCKET_ALGORITHMS:
        positive(where, layer, "capacity")
        positive(where, layer, "rate_per_s")
        if layer.get("refill_interval_s") is not None:
            if alg != "token_bucket":
                fail(where, "refill_interval_s is for token_bucket only")
            positive(where, layer, "refill_interval_s")
    else:
        positive(where, layer, "limit", integer=True)
        if alg != "concurrency":
            positive(where, layer, "window_s")
    if layer.get("window_align", "epoch") not in ("epoch", "first", "calendar"):
        fail(where, "unknown window_align %r" % layer.get("window_align"))
    if "window_align" in layer and alg != "fixed":
        fail(where, "window_align is for algorithm fixed only")
    if layer.get("window_align") == "calendar" and layer["window_s"] not in CALENDAR_UNITS:
        fail(where, "a calendar window is one of %s seconds" % (CALENDAR_UNITS,))
    if "min_age_s" in layer and alg != "concurrency":
        fail(where, "min_age_s is for concurrency layers only")
    if "admit_equal" in layer and alg != "sliding_counter":
        fail(where, "admit_equal is for sliding_counter only")
    ra = layer.get("retry_after", "exact")
    if ra != "exact" and (isinstance(ra, bool) or not isinstance(ra, (int, float)) or ra < 0):
        fail(where, 'retry_after must be "exact" or a number of seconds')
    if float(layer.get("penalty_s", 0) or 0) < 0:
        fail(where, "penalty_s must be >= 0")
    for m, c in (layer.get("cost") or {}).items():
        if m != m.upper() or isinstance(c, bool) or not isinstance(c, int) or c < 1:
            fail(where, "cost maps upper-case methods to whole numbers >= 1 (got %r: %r)" % (m, c))
    bad = set(layer.get("match") or {}) - MATCH_KEYS
    if bad:
        fail(where, "unknown match keys %s" % sorted(bad))
    for k in layer.get("key", []):
        if k not in KEY_DIMENSIONS:
            fail(where, "unknown key dimension %r (one of %s)" % (k, KEY_DIMENSIONS))
    doc = layer.get("documented_as")
    if doc is not None:
        if not layer.get("documented"):
            fail(where, "documented_as on an undocumented layer")
        bad = set(doc) - DOCUMENTED_AS_KEYS
        if bad:
            fail(where, "unknown documented_as keys %s" % sorted(bad))


def validate_config(cfg):
    """Fail early on typos that would otherwise only show up mid-recording."""
    check_styles("server", cfg)
    for layer in cfg["layers"]:
        status = layer.get("throttle_status", cfg.get("throttle_status", 429))
        body = layer.get("body_style", cfg.get("body_style", "graphql" if status == 200 else "legacy"))
        if status == 200 and body != "graphql":
            fail("layer %s" % layer.get("name"),
                 "a throttle with status 200 needs body_style graphql (on the layer or global)")
    names = set()
    for layer in cfg["layers"]:
        check_layer(layer, names)
    for layer in cfg["layers"]:
        if layer.get("disguise_as") and layer["disguise_as"] not in names:
            fail("layer %s" % layer["name"], "disguise_as names no layer")
    for tok, ident in cfg["tokens"].items():
        if not isinstance(ident, dict) or not ident.get("user") or not ident.get("client"):
            fail("tokens", "token %r needs a user and a client" % tok)
    for i, bg in enumerate(cfg.get("background", [])):
        where = "background[%d]" % i
        bad = set(bg) - BACKGROUND_KEYS
        if bad:
            fail(where, "unknown keys %s" % sorted(bad))
        if bg.get("token") not in cfg["tokens"]:
            fail(where, "background token %r is not in tokens" % bg.get("token"))
        pattern = bg.get("pattern", "steady")
        if pattern not in ("steady", "bursty", "ramp"):
            fail(where, "pattern must be steady, bursty or ramp")
        if pattern == "bursty":
            positive(where, bg, "burst_size", integer=True)
            positive(where, bg, "burst_every_s")
        else:
            positive(where, bg, "rate_per_s")
        if pattern == "ramp":
            positive(where, bg, "rate_end_per_s")


def validate_client(scenario, cfg):
    phases = (scenario.get("client") or {}).get("phases")
    if not isinstance(phases, list):
        fail("client", "client.phases must be a list")
    for p, ph in enumerate(phases):
        for s, st in enumerate(ph.get("streams", [])):
            where = "client.phases[%d].streams[%d] (%s)" % (p, s, st.get("label"))
            if st.get("token") not in cfg["tokens"]:
                fail(where, "token %r is not in server.tokens" % st.get("token"))
            if not st.get("ops"):
                fail(where, "a stream needs ops")
            mode = (st.get("retry") or {}).get("mode", "honour")
            if mode not in ("honour", "immediate", "none"):
                fail(where, "retry.mode must be honour, immediate or none")
            for op in st["ops"]:
                if not op.get("method") or not str(op.get("path", "")).startswith("/"):
                    fail(where, "an op needs a method and a path starting with /")


def validate_scenario(scenario, cfg):
    if not scenario.get("name"):
        fail("scenario", "no name")
    validate_config(cfg)
    validate_client(scenario, cfg)


if __name__ == "__main__":
    from server import effective_config
    for path in sys.argv[1:]:
        sc = json.load(open(path))
        validate_scenario(sc, effective_config(sc))
        print("ok", path)
