"""Hidden traffic for the gateway lab: real HTTP requests through the real limiter.

Owns the background generator.  Each entry of a scenario's `gateway.background` list is one
client that is never in the browser's capture (another tab, a sync job, a second app):

  {"client": "ui-tab", "token": "tok-a", "method": "GET", "paths": ["/api/v2/users/me"],
   "steady": {"rate_per_s": 2, "start_s": 0, "duration_s": 20},
   "bursts": [{"at_s": 3.0, "count": 8, "parallel": 8, "spacing_ms": 0}]}

`steady` sends one request every 1/rate_per_s seconds from start_s for duration_s; each burst
sends `count` requests at at_s over `parallel` connections at once (each connection sends its
share one after another, spacing_ms apart).  Times are seconds after start().  Every request
carries `Authorization: Bearer <token>`, `X-Lab-Source: background` and `X-Lab-Client: <client>`,
goes only to 127.0.0.1, and is logged by the limiter itself like a browser request.
Standard library only.
"""

import http.client
import threading
import time


class Background:
    def __init__(self, specs, port):
        self.specs = specs or []
        self.port = port
        self.stop_ev = threading.Event()
        self.threads = []
        self.sent = 0
        self.lock = threading.Lock()

    def request(self, spec, n):
        paths = spec.get("paths") or ["/api/v2/users/me"]
        path = paths[n % len(paths)]
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(spec.get("method", "GET"), path, headers={
                "Authorization": "Bearer " + spec["token"], "Accept": "application/json",
                "X-Lab-Source": "background", "X-Lab-Client": spec["client"]})
            conn.getresponse().read()
        except OSError:
            pass
        finally:
            conn.close()
        with self.lock:
            self.sent += 1

    def sleep_until(self, t):
        d = t - time.time()
        return d <= 0 or not self.stop_ev.wait(d)

    def steady(self, spec, t0):
        st = spec["steady"]
        gap = 1.0 / float(st["rate_per_s"])
        t = t0 + float(st.get("start_s", 0))
        end = t + float(st.get("duration_s", 60))
        n = 0
        while t < end and self.sleep_until(t):
            self.request(spec, n)
            n += 1
            t += gap

    def burst(self, spec, b, t0):
        if not self.sleep_until(t0 + float(b["at_s"])):
            return
        count, par = int(b["count"]), int(b.get("parallel", 1))
        spacing = float(b.get("spacing_ms", 0)) / 1000.0

        def lane(k):
            for j in range(k, count, par):
                if j >= par and spacing and not self.sleep_until(time.time() + spacing):
                    return
                self.request(spec, j)
        lanes = [threading.Thread(target=lane, args=(k,), daemon=True) for k in range(min(par, count))]
        for th in lanes:
            th.start()
        for th in lanes:
            th.join()

    def start(self):
        t0 = time.time()
        for spec in self.specs:
            jobs = []
            if "steady" in spec:
                jobs.append((self.steady, (spec, t0)))
            for b in spec.get("bursts", []):
                jobs.append((self.burst, (spec, b, t0)))
            for fn, args in jobs:
                th = threading.Thread(target=fn, args=args, daemon=True)
                th.start()
                self.threads.append(th)
        return t0

    def stop(self):
        self.stop_ev.set()
        for th in self.threads:
            th.join(timeout=35)
