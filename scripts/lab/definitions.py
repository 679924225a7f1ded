#!/usr/bin/env python3
"""How many throttles change cause between the two definitions of "the capture's own traffic".

The lab's oracles (`expect.py`, `gateway/expect.py`) replay every request the browser sent that
reached the refusing layer through a fresh limiter holding only that layer, the limiter deciding
each: a request the server refused because of traffic from elsewhere counts as the browser's
demand. The real-limiter lab's oracle used to replay only the browser's requests the limiter
charged, the reading this script keeps for comparison. This script
recomputes every visible/hidden expectation of a batch the second way and prints, per scenario,
how many throttles change cause, then the totals as (generated oracle, charged-only) pairs.

    python3 definitions.py captures/draw-fc-j captures/draw-fc-k ...
"""

import collections
import glob
import os
import sys

import expect as E


def charged_only_refuses(cfg, layer, lines, target):
    """Would a fresh limiter holding only `layer`, fed the browser's requests the server charged
    in it (admitted, or refused where the layer counts refusals), refuse `target`?"""
    st = E.snap(target, layer["name"])
    feed = []
    for l in lines:
        if l["seq"] >= target["seq"] or l["source"] != "browser":
            continue
        s = E.snap(l, layer["name"])
        if s is None or s["key"] != st["key"]:
            continue
        if layer["name"] in l["counted_in"] or (s.get("exceeded") and layer.get("count_rejected")):
            feed.append(l)
    one = dict(cfg, layers=[layer])
    dec = E.replay(one, feed + [target], stop_seq=target["seq"])[target["seq"]]
    return not dec["admitted"]


def main():
    totals = collections.Counter()
    for d in sys.argv[1:]:
        for p in sorted(glob.glob(os.path.join(d, "*.truth.jsonl"))):
            name = os.path.basename(p)[:-len(".truth.jsonl")]
            if not os.path.exists(os.path.join(d, name + ".config.json")):
                continue
            cfg, lines = E.load(d, name)
            throttles = [l for l in lines
                         if l["source"] == "browser" and not l["preflight"] and E.throttled(l)]
            n = changed = 0
            for e, l in zip(E.expectations(cfg, lines), throttles):
                if e["cause"] not in ("visible-traffic", "hidden-traffic"):
                    continue
                layer = next(x for x in cfg["layers"] if x["name"] == e["layer"])
                alt = ("visible-traffic" if charged_only_refuses(cfg, layer, lines, l)
                       else "hidden-traffic")
                n += 1
                changed += alt != e["cause"]
                totals[(e["cause"], alt)] += 1
            if changed:
                print("%s: %d of %d change cause" % (name, changed, n))
    for (a, b), k in sorted(totals.items()):
        print("generated oracle %s, charged-only %s: %d" % (a, b, k))


if __name__ == "__main__":
    main()
