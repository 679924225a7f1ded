#!/usr/bin/env python3
"""Writes a why429 limit profile (TOML) from a lab capture's config.json.

Only the documented layers are written: a profile holds what the API documents, and the
undocumented ("hidden") layers of a scenario are what why429 must discover on its own.

    python3 scripts/lab-profile.py fixtures/lab/t01_forum_like_schedule_puts.config.json \
        > fixtures/lab/t01_forum_like_schedule_puts.profile.toml
"""
import json
import sys


def window(seconds):
    ms = round(float(seconds) * 1000)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def per(key):
    out = []
    for k in key:
        if k in ("template", "method"):
            k = "endpoint"
        if k not in out:
            out.append(k)
    return out


def main(path):
    cfg = json.load(open(path))
    server = cfg["effective_server_config"]
    host = cfg["run"]["api_origin"].split("://", 1)[1]
    name = cfg["scenario"]
    print(f"# Documented layers of lab scenario {name}, from {path.rsplit('/', 1)[-1]}.")
    print("# Written by scripts/lab-profile.py; undocumented layers are left out on purpose.")
    print(f'name = "lab-{name}"')
    print(f'description = "lab API of scenario {name}"')
    print(f'hosts = ["{host}"]')
    print("templates = [")
    for t in server.get("templates", []):
        print(f'  "{t}",')
    print("]")
    for layer in server["layers"]:
        if not layer.get("documented", True):
            continue
        print()
        print("[[layer]]")
        print(f'name = "{layer["name"]}"')
        print(f"limit = {layer['limit']}")
        if layer["kind"] == "concurrency":
            print('kind = "concurrency"')
        else:
            print(f'window = "{window(layer["window_s"])}"')
            if layer.get("algorithm") == "fixed":
                aligned = layer.get("window_align", "epoch") == "epoch"
                print(f'algorithm = "{"fixed-aligned" if aligned else "fixed"}"')
        print("per = [" + ", ".join(f'"{p}"' for p in per(layer["key"])) + "]")
        match = layer.get("match", {})
        if "method" in match:
            print(f'method = "{match["method"]}"')
        if "template" in match:
            print(f'template = "{match["template"]}"')
        elif "template_prefix" in match:
            print(f'template = "{match["template_prefix"].rstrip("/")}/**"')
        if match.get("clients") or match.get("exclude_clients"):
            raise SystemExit(f"{path}: client filters cannot be expressed in a profile")
        print('source = "https://example.invalid/lab-scenario-documentation"')
        if layer.get("description"):
            desc = layer["description"].replace('"', "'")
            print(f'note = "{desc}"')


if __name__ == "__main__":
    main(sys.argv[1])
