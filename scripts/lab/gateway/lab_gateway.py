#!/usr/bin/env python3
"""One scenario of the gateway lab, as one process the recorder can drive (record.mjs --server).

Owns the run of one scenario: starts the real limiter (gateway.py: nginx in front of server.py,
or governor-gate), serves the lab page (../page/) with `api_base` pointing at the limiter,
starts and stops the hidden background traffic (background.py) when the recorder says so,
and, when it is stopped, stops everything by PID and writes the truth and effective config.

    python3 lab_gateway.py --config SCENARIO.json --truth TRUTH.jsonl [--effective-config-out EFF.json]

Prints `READY {"api_port", "page_port", "control_port", "pid"}`.  POST /__lab/start and
/__lab/stop on the control port (the page port; the page never calls them) start and stop the
background traffic.  SIGTERM or SIGINT ends the run.  Everything listens on 127.0.0.1.
"""

import argparse
import http.server
import json
import os
import shutil
import signal
import socketserver
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from background import Background  # noqa: E402
from gateway import LAB, Gateway  # noqa: E402

PAGE_DIR = os.path.join(LAB, "page")


class Run:
    scenario = None
    api_base = None
    background = None
    t_start = None


class PageHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=PAGE_DIR, **kw)

    def log_message(self, fmt, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def reply(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/scenario.json":
            sc = Run.scenario
            return self.reply(200, json.dumps({
                "name": sc.get("name"), "description": sc.get("description"),
                "api_base": Run.api_base, "client": sc.get("client", {})}).encode())
        if path == "/favicon.ico":
            return self.reply(204, b"")
        return super().do_GET()

    def do_POST(self):
        path = self.path.split("?")[0]
        if path == "/__lab/start":
            if Run.t_start is None:
                Run.t_start = Run.background.start()
            return self.reply(200, b'{"started":true}')
        if path == "/__lab/stop":
            Run.background.stop()
            return self.reply(200, b'{"stopped":true}')
        return self.reply(404, b"{}")


class PageServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--effective-config-out")
    args = ap.parse_args()
    Run.scenario = json.load(open(args.config))
    work = tempfile.mkdtemp(prefix="gwlab-")
    gw = Gateway(args.config, work)
    Run.api_base = "http://127.0.0.1:%d" % gw.port
    Run.background = Background(Run.scenario["gateway"].get("background"), gw.port)
    page = PageServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    done = threading.Event()

    def stop(*_):
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = page.server_address[1]
    print("READY " + json.dumps({"api_port": gw.port, "page_port": port, "control_port": port,
                                 "pid": os.getpid()}), flush=True)
    while not done.wait(0.5):
        pass
    Run.background.stop()
    page.shutdown()
    time.sleep(0.3)  # let the last responses finish before nginx's graceful stop
    gw.stop()
    recs = gw.truth(Run.t_start)
    with open(args.truth, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    if args.effective_config_out:
        eff = {"limiter": gw.gw["kind"], "gateway": gw.gw, "gateway_port": gw.port,
               "limiter_config_text": gw.limiter.conf_text, "t_start": Run.t_start,
               "background_requests_sent": Run.background.sent,
               "upstream_effective_config": gw.upstream.effective() if gw.upstream else None}
        with open(args.effective_config_out, "w") as f:
            json.dump(eff, f, indent=2)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
