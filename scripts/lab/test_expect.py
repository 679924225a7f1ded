"""Checks of the expected-answer oracle (expect.py) on small scenarios run in simulated time
(simulate.py), where the right answer is known by construction.

    cd scripts/lab && python3 -m unittest test_expect
"""

import collections
import unittest

import expect
from server import effective_config
from simulate import simulate

LAYER = {"name": "L", "documented": True, "kind": "rate", "match": {}, "key": ["user"],
         "limit": 5, "window_s": 10}


def run(layer, units=25, conc=1, interval=None, background=None, processing_ms=None):
    stream = {"label": "s", "token": "t1", "units": units, "concurrency": conc,
              "ops": [{"method": "GET", "path": "/api/v2/users/me"}], "retry": {"mode": "none"}}
    if interval:
        stream["interval_ms"] = interval
    sc = {"name": "x", "max_duration_s": 40,
          "server": {"tokens": {"t1": {"user": "u", "client": "app"},
                                "t2": {"user": "u", "client": "ui"}},
                     "layers": [layer], "success_headers_layer": None,
                     "background": background or [],
                     **({"processing_ms": {"default": processing_ms}} if processing_ms else {})},
          "client": {"phases": [{"name": "p", "streams": [stream]}]}}
    cfg = effective_config(sc)
    log = simulate(sc, cfg)
    ok, total, _ = expect.self_check(cfg, log)
    assert ok == total, "the replay must reproduce every decision"
    exp = expect.expectations(cfg, log)
    return collections.Counter((e["cause"], e["kind"]) for e in exp), exp


class Oracle(unittest.TestCase):
    def test_own_burst_is_visible(self):
        causes, exp = run(LAYER)
        self.assertEqual(causes, {("visible-traffic", None): 20})
        self.assertTrue(all(e["layer"] == "L" for e in exp))

    def test_undocumented_kinds(self):
        causes, _ = run(dict(LAYER, documented=False))
        self.assertEqual(causes, {("undocumented-limit", "burst"): 20})
        causes, _ = run(dict(LAYER, documented=False, window_s=30))
        self.assertEqual(causes, {("undocumented-limit", "rate"): 20})

    def test_documentation_states_a_higher_limit(self):
        # enforced 5 per 10 s, documented 20: requests 6-20 are refused by numbers only the
        # server knows; from the 21st on the browser also reaches the documented limit
        causes, _ = run(dict(LAYER, documented_as={"limit": 20}))
        self.assertEqual(causes, {("undocumented-limit", "burst"): 15,
                                  ("visible-traffic", None): 5})

    def test_hidden_traffic_and_hidden_by(self):
        bg = [{"token": "t2", "rate_per_s": 2, "start_s": 0, "duration_s": 30}]
        causes, exp = run(dict(LAYER, limit=12), units=10, interval=500, background=bg)
        self.assertEqual(set(causes), {("hidden-traffic", None)})
        self.assertEqual(exp[0]["hidden_by"][0]["client"], "ui")

    def test_bucket_hidden_traffic(self):
        layer = dict(LAYER, algorithm="gcra", capacity=5, rate_per_s=2)
        del layer["limit"], layer["window_s"]
        bg = [{"token": "t2", "rate_per_s": 1.5, "start_s": 0, "duration_s": 30}]
        causes, exp = run(layer, units=20, interval=700, background=bg)
        self.assertEqual(set(causes), {("hidden-traffic", None)})
        self.assertIsNone(exp[0]["hidden_by"])

    def test_penalty_opened_by_the_browser_is_visible(self):
        causes, _ = run(dict(LAYER, penalty_s=5), units=30, interval=200)
        self.assertEqual(set(causes), {("visible-traffic", None)})

    def test_concurrency_penalty_opened_by_the_browser_is_visible(self):
        # two requests at a time against one slot: the refused second one opens the penalty
        # box, which then refuses requests with nothing in flight; no traffic from elsewhere
        layer = {"name": "C", "documented": True, "kind": "concurrency", "match": {},
                 "key": ["user"], "limit": 1, "penalty_s": 5}
        causes, _ = run(layer, units=12, conc=2, interval=300, processing_ms=400)
        self.assertEqual(set(causes), {("visible-traffic", None)})


if __name__ == "__main__":
    unittest.main()
