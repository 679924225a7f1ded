"""Checks of the lab's limit algorithms and layered decision against hand-computed cases
and the reference examples (AWS token bucket, nginx-style burst, GCRA, sliding counter).

    cd scripts/lab && python3 -m unittest test_limiters
"""

import unittest

import layers
import limiters


def run(layer, times, cost=1, key=("k",)):
    """Admit-or-refuse a request at each time through one algorithm; list of bools."""
    a = limiters.make(layer)
    out = []
    for t in times:
        p = a.peek(key, t, cost)
        if not p.over:
            a.commit(key, t, cost)
        elif layer.get("count_rejected"):
            a.commit(key, t, cost)
        out.append(not p.over)
    return out


class Algorithms(unittest.TestCase):
    def test_sliding(self):
        ok = run({"limit": 3, "window_s": 10}, [0, 1, 2, 3, 10.5, 11.5])
        self.assertEqual(ok, [True, True, True, False, True, True])
        a = limiters.make({"limit": 3, "window_s": 10})
        for t in (0, 1, 2):
            a.commit(("k",), t)
        self.assertAlmostEqual(a.peek(("k",), 3).retry_after, 7.0)

    def test_sliding_cost(self):
        a = limiters.make({"limit": 10, "window_s": 10})
        a.commit(("k",), 0, 5)
        a.commit(("k",), 1, 4)
        p = a.peek(("k",), 2, 5)
        self.assertTrue(p.over)
        self.assertAlmostEqual(p.retry_after, 8.0)  # the 5 at t=0 must leave

    def test_fixed_epoch_and_first(self):
        ok = run({"limit": 2, "window_s": 10, "algorithm": "fixed"}, [1, 2, 3, 10, 11])
        self.assertEqual(ok, [True, True, False, True, True])
        ok = run({"limit": 2, "window_s": 10, "algorithm": "fixed", "window_align": "first"},
                 [1, 2, 3, 10, 11, 12])
        self.assertEqual(ok, [True, True, False, False, True, True])

    def test_calendar_offset(self):
        a = limiters.make({"limit": 1, "window_s": 3600, "algorithm": "fixed",
                           "window_align": "calendar", "tz_offset_min": 30})
        p = a.peek(("k",), 3600 * 10 + 10)
        self.assertAlmostEqual(p.reset, 1800 - 10)

    def test_token_bucket_aws_example(self):
        layer = {"algorithm": "token_bucket", "capacity": 5000, "rate_per_s": 10000}
        a = limiters.make(layer)
        n = 0
        for t in [0.0] * 5000 + [0.101] * 5000:
            if not a.peek(("k",), t).over:
                a.commit(("k",), t)
                n += 1
        self.assertEqual(n, 6010)

    def test_token_bucket_interval(self):
        layer = {"algorithm": "token_bucket", "capacity": 2, "rate_per_s": 1,
                 "refill_interval_s": 2}
        ok = run(layer, [100.0, 100.1, 100.2, 101.9, 102.0, 102.1, 102.2])
        self.assertEqual(ok, [True, True, False, False, True, True, False])
        a = limiters.make(layer)
        for t in (100.0, 100.1):
            a.commit(("k",), t)
        self.assertAlmostEqual(a.peek(("k",), 100.5).retry_after, 1.5)

    def test_leaky_and_gcra_burst(self):
        for alg in ("leaky_bucket", "gcra"):
            layer = {"algorithm": alg, "capacity": 6, "rate_per_s": 1}
            self.assertEqual(run(layer, [0.0] * 7), [True] * 6 + [False], alg)
            a = limiters.make(layer)
            for _ in range(6):
                a.commit(("k",), 0.0)
            self.assertAlmostEqual(a.peek(("k",), 0.5).retry_after, 0.5, msg=alg)
            self.assertEqual(run(layer, [0.0] * 6 + [1.0, 1.0]), [True] * 7 + [False], alg)

    def test_sliding_counter(self):
        layer = {"algorithm": "sliding_counter", "limit": 10, "window_s": 10}
        a = limiters.make(layer)
        for _ in range(10):
            a.commit(("k",), 5.0)
        p = a.peek(("k",), 12.0)          # prev 10 weighted 0.8 -> est 8
        self.assertFalse(p.over)
        self.assertAlmostEqual(p.count, 9)
        for _ in range(2):
            a.commit(("k",), 12.0)        # est 10
        p = a.peek(("k",), 12.0)
        self.assertTrue(p.over)
        # prev*(10-x)/10 + 2 + 1 <= 10 -> x >= 3
        self.assertAlmostEqual(p.retry_after, 1.0)
        strict = dict(layer, admit_equal=False)
        b = limiters.make(strict)
        for _ in range(9):
            b.commit(("k",), 1.0)
        self.assertTrue(b.peek(("k",), 2.0).over)

    def test_concurrency_min_age(self):
        a = limiters.make({"kind": "concurrency", "limit": 2, "min_age_s": 5,
                           "retry_after": "exact"})
        a.commit(("k",), 0.0, flight=1, expected_end=20.0)
        a.commit(("k",), 1.0, flight=2, expected_end=8.0)
        self.assertFalse(a.peek(("k",), 3.0).over)   # none aged yet
        p = a.peek(("k",), 7.0)                        # both aged
        self.assertTrue(p.over)
        self.assertAlmostEqual(p.retry_after, 1.0)     # flight 2 ends at 8
        a.release(("k",), 2)
        self.assertFalse(a.peek(("k",), 8.0).over)


class Layered(unittest.TestCase):
    def cfg(self, **layer):
        base = {"name": "L", "documented": True, "kind": "rate", "match": {}, "key": ["user"],
                "limit": 2, "window_s": 10}
        base.update(layer)
        return {"layers": [base], "templates": ["/a"], "tokens": {}}

    def test_penalty(self):
        lim = layers.Layered(self.cfg(penalty_s=30))
        ident = {"user": "u", "client": "c", "token": "t"}
        got = [lim.admit(ident, "GET", "/a", "/a", t)["admitted"] for t in (0, 1, 2, 15, 31, 33)]
        self.assertEqual(got, [True, True, False, False, False, True])  # blocked until 32

    def test_count_rejected_and_cost(self):
        lim = layers.Layered(self.cfg(count_rejected=True, cost={"POST": 2}, limit=3))
        ident = {"user": "u", "client": "c", "token": "t"}
        d = lim.admit(ident, "POST", "/a", "/a", 0)
        self.assertTrue(d["admitted"])
        d = lim.admit(ident, "POST", "/a", "/a", 1)
        self.assertFalse(d["admitted"])
        self.assertEqual(d["counted_in"], ["L"])
        self.assertFalse(lim.admit(ident, "GET", "/a", "/a", 9)["admitted"])  # 4 used
        self.assertTrue(lim.admit(ident, "GET", "/a", "/a", 11.5)["admitted"])


if __name__ == "__main__":
    unittest.main()
