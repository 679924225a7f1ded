#!/usr/bin/env python3
"""Procedural scenario generator for the lab: N scenarios from a seed, none of them written
by hand, so nobody can tune the analyzer to them.

    python3 generate.py SEED N OUT_DIR

writes OUT_DIR/<s>.json (a scenario for server.py + lab.js) and OUT_DIR/<s>.profile.toml
(its documented layers, host 127.0.0.1 on any port; draw.sh rewrites it with the recorded
port) for s = g<seed>_<nn>_<short-description>, nn = 01..N.

Owns the assembly and the acceptance of a draw: scenario i of a seed is drawn from
random.Random("<seed>/<i>/<attempt>"), its traffic first (gen_traffic.py), then a dry run
without limits (simulate.py) to size the layers (gen_layers.py), then a forecast with the
layers.  A draw is kept when the forecast shows at least 3 browser throttles (1 for ~15 %
of draws), at most 300, and the page ends within 20-72 s; ~10 % of scenarios are
controls, all limits slack, kept only when the forecast shows no throttle.  Otherwise the
next attempt is drawn.  The same seed always gives the same files.  GENERATOR.md lists
every dimension and its range.
"""

import collections
import json
import math
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import expect  # noqa: E402
import gen_layers  # noqa: E402
import gen_traffic as gt  # noqa: E402
from profile_toml import profile_text  # noqa: E402
from server import DEFAULT_SERVER_CONFIG, effective_config  # noqa: E402
from simulate import simulate  # noqa: E402
from validate import validate_scenario  # noqa: E402

MAX_ATTEMPTS = 200


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", str(s).lower()).strip("-")


def page_end(log):
    ts = [l["t_done"] for l in log if l["source"] == "browser"]
    return (max(ts) - log[0]["t"]) if ts else 0.0


def is_control(seed, index):
    """Whether scenario `index` is a control, decided once per scenario (not per attempt,
    which would favour controls: they are accepted more easily)."""
    return random.Random("%s/%d/control" % (seed, index)).random() < 0.10


def draw_once(seed, index, attempt):
    """One candidate scenario (without its final name) and its generator notes."""
    rng = random.Random("%s/%d/%d" % (seed, index, attempt))
    control = is_control(seed, index)
    run_s = rng.uniform(20, 70)
    ids = gt.Identities(rng)
    browser_tokens = gt.draw_browser_identities(rng, ids)
    endpoints = gt.draw_endpoints(rng)
    server = gt.draw_responses(rng)
    slow = gt.draw_processing(rng, endpoints, server["processing_ms"])
    client, stream_styles = gt.draw_client(rng, browser_tokens, endpoints, run_s)
    background, relations = gt.draw_background(rng, ids, browser_tokens, endpoints, run_s)
    server.update(tokens=ids.tokens, background=background, layers=[],
                  templates=list(DEFAULT_SERVER_CONFIG["templates"]),
                  success_headers_layer=None)
    scenario = {"name": "draft", "max_duration_s": int(run_s) + 40, "server": server,
                "client": client}
    t0 = 1_800_000_000.0 + rng.uniform(0, 3600)
    dry = simulate(scenario, effective_config(scenario), t0)
    layers, roles, hidden_kinds = gen_layers.draw_layers(rng, dry, endpoints, slow, control)
    server["layers"] = layers
    doc = [l for l in layers if l["documented"]]
    if doc and server["ratelimit_headers_on_success"]:
        broad = [l for l in doc if not l["match"]]
        server["success_headers_layer"] = rng.choice(broad or doc)["name"]
    notes = {"control": control, "run_s": round(run_s, 1), "roles": roles,
             "undocumented_kinds": hidden_kinds, "stream_styles": stream_styles,
             "background": relations, "users_in_capture": len({ids.tokens[t]["user"] for t in browser_tokens}),
             "browser_tokens": len(browser_tokens),
             "jwt_tokens": sum(1 for t in browser_tokens if t.count(".") == 2)}
    return scenario, notes, t0


def forecast(scenario, t0):
    cfg = effective_config(scenario)
    log = simulate(scenario, cfg, t0)
    exp = expect.expectations(cfg, log)
    causes = collections.Counter(e["cause"] + ("/" + e["kind"] if e["kind"] else "") for e in exp)
    return {"browser_requests": sum(1 for l in log if l["source"] == "browser"),
            "background_requests": sum(1 for l in log if l["source"] == "background"),
            "throttles": len(exp), "causes": dict(sorted(causes.items())),
            "page_end_s": round(page_end(log), 1)}


def acceptable(rng_gate, notes, fc):
    if not 20 <= fc["page_end_s"] <= 72:
        return False
    if notes["control"]:
        return fc["throttles"] == 0
    need = 3 if rng_gate < 0.85 else 1
    return need <= fc["throttles"] <= 300


def describe(scenario, notes, fc):
    """(short name part, summary).  The short part names only what the profile and the
    capture show anyway (first documented layer's algorithm and partition, the hidden
    traffic's sender, the throttle status), never which layer fires or why: the name is in
    every HAR file name and the page's /scenario.json."""
    layers = scenario["server"]["layers"]
    doc = [l for l in layers if l["documented"]] or layers
    main = doc[0]
    alg = main.get("algorithm", "concurrency" if main.get("kind") == "concurrency" else "sliding")
    if alg == "fixed":
        alg = "fixed-" + main.get("window_align", "epoch")
    parts = [alg.replace("_bucket", "").replace("sliding_counter", "slcounter"),
             main["name"].split(".")[0]]
    parts.append(notes["background"][0].rsplit("/", 1)[0].replace("/", "-")
                 if notes["background"] else "alone")
    status = scenario["server"]["throttle_status"]
    if status != 429:
        parts.append(str(status))
    if notes["users_in_capture"] > 1:
        parts.append("%dusers" % notes["users_in_capture"])
    short = slug("-".join(parts))[:48]
    text = ("%d documented and %d undocumented layers (%s); browser: %d stream(s) (%s), "
            "%d token(s) of %d user(s); hidden traffic: %s; throttles answer %d with %s bodies and %s "
            "headers; forecast %d browser throttles %s." % (
                sum(1 for l in layers if l["documented"]), sum(1 for l in layers if not l["documented"]),
                ", ".join("%s=%s" % (l["name"], notes["roles"][l["name"]]) for l in layers),
                len(notes["stream_styles"]), ", ".join(notes["stream_styles"]),
                notes["browser_tokens"], notes["users_in_capture"],
                ", ".join(notes["background"]) or "none", status,
                scenario["server"]["body_style"], scenario["server"]["header_style"],
                fc["throttles"], fc["causes"] or ""))
    return short, text


def generate(seed, n, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for index in range(1, n + 1):
        for attempt in range(MAX_ATTEMPTS):
            scenario, notes, t0 = draw_once(seed, index, attempt)
            fc = forecast(scenario, t0)
            gate = random.Random("%s/%d/%d/gate" % (seed, index, attempt)).random()
            if acceptable(gate, notes, fc):
                break
        else:
            raise SystemExit("scenario %d of seed %s: no acceptable draw in %d attempts"
                             % (index, seed, MAX_ATTEMPTS))
        short, text = describe(scenario, notes, fc)
        name = "g%s_%02d_%s" % (slug(seed), index, short)
        scenario["name"] = name
        # the description is served to the page (and so is in every HAR): keep it neutral
        scenario["description"] = "generated scenario %d of seed %s" % (index, seed)
        scenario["max_duration_s"] = int(math.ceil(max(fc["page_end_s"], notes["run_s"]))) + 20
        scenario["generator"] = dict(notes, seed=str(seed), index=index, attempt=attempt,
                                     forecast=fc, summary=text)
        ordered = {k: scenario[k] for k in ("name", "description", "max_duration_s", "generator",
                                            "server", "client")}
        cfg = effective_config(ordered)
        validate_scenario(ordered, cfg)
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(ordered, f, indent=1)
            f.write("\n")
        with open(os.path.join(out_dir, name + ".profile.toml"), "w") as f:
            f.write(profile_text(cfg, name, "127.0.0.1", name + ".json (before recording: any port)",
                                 writer="scripts/lab/generate.py"))
        written.append(name)
        print("%s  attempt %d, forecast %d browser throttles %s" % (name, attempt, fc["throttles"],
                                                                     fc["causes"]))
    return written


def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: generate.py SEED N OUT_DIR")
    seed, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if n < 1 or n > 99:
        raise SystemExit("N must be 1..99")
    generate(seed, n, out)


if __name__ == "__main__":
    main()
