#!/usr/bin/python3
"""Mesh figures (prints, asserts nothing): on loopback, with the release
binaries in build/bin/ and docker/demo_app.py as the application.

  perf/mesh/measure.py [--rounds N] [--endpoints 1000,5000]

1. registration -> first request: a backend task (app already up) starts its
   sidecar while a client sidecar carries ferry-load traffic for the service;
   times from the sidecar's start to (a) the client listing the endpoint in
   /clusters, (b) the first request reaching the new task's application.
2. SIGTERM -> last request: the same task's sidecar gets SIGTERM under load;
   times from the signal to the last request its application received, and
   to the sidecar's exit (drain.propagation_delay 1s).
3. memory per 1000 discovered endpoints: a client sidecar following a
   service whose instances are registered straight into ferry-control; its
   RSS before and after, per 1000 endpoints.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "bin")
APP = os.path.join(ROOT, "docker", "demo_app.py")
NS = "perf.local"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait(pred, timeout, step=0.005):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError("condition not met within %ss" % timeout)


def get(address, path):
    try:
        c = http.client.HTTPConnection(*address.rsplit(":", 1), timeout=2)
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    except OSError:
        return 0, b""


class Mesh:
    def __init__(self, work):
        self.work = work
        self.procs = []

    def spawn(self, argv, log, env=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(log, "w"), env=e)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def control(self, extra=()):
        addr_file = os.path.join(self.work, "control.addr")
        self.spawn([os.path.join(BIN, "ferry-control"), "--listen", "127.0.0.1:0",
                    "--address-file", addr_file, "--data-dir", os.path.join(self.work, "control"),
                    *extra], os.path.join(self.work, "control.log"))
        self.control_address = wait(lambda: os.path.exists(addr_file) and
                                    open(addr_file).read().strip(), 10)
        wait(lambda: get(self.control_address, "/ready")[0] == 200, 10)

    def sidecar(self, name, octet, service=None, app_port=0, extra_yaml=""):
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        y = f"""admin: {{address: 127.0.0.1:0}}
workers: 1
drain: {{propagation_delay: 1s, timeout: 10s}}
control_plane:
  addresses: [{self.control_address}]
  snapshot_path: {d}/snapshot.json
  heartbeat_interval: 2s
  reconnect_backoff: {{base_interval: 100ms, max_interval: 2s}}
service_connect:
  namespace: {NS}
  advertise_address: 127.0.0.1
  egress_network: 127.{octet}.0.0/16
"""
        if service:
            y += f"""  services:
    - {{portName: {service}, port: {app_port}, appProtocol: http,
       clientAliases: [{{port: 8080, dnsName: {service}}}]}}
"""
        y += extra_yaml
        open(os.path.join(d, "ferry.yaml"), "w").write(y)
        admin_file = os.path.join(d, "admin")
        start = time.monotonic()
        p = self.spawn([os.path.join(BIN, "ferry-proxy"), "--config", os.path.join(d, "ferry.yaml"),
                        "--admin-address-path", admin_file], os.path.join(d, "ferry.log"))
        admin = wait(lambda: os.path.exists(admin_file) and open(admin_file).read().strip(), 10)
        return p, admin, start

    def app(self, name):
        port = free_port()
        log = os.path.join(self.work, name + ".app.log")
        p = self.spawn(["/usr/bin/python3", "-u", "-c", RECORDING_APP, str(port)], log)
        wait(lambda: get("127.0.0.1:%d" % port, "/")[0] == 200, 10)
        return p, port, log


# A backend that prints the monotonic time of every request it answers.
RECORDING_APP = r"""
import http.server, socketserver, sys, time
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        sys.stderr.write("%.6f\n" % time.monotonic())
        self.send_response(200)
        self.send_header("content-length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def request_times(log):
    out = []
    for line in open(log):
        try:
            out.append(float(line))
        except ValueError:
            pass
    return out


def endpoints(admin, cluster):
    status, body = get(admin, "/clusters")
    if status != 200:
        return []
    for c in json.loads(body):
        if c["name"] == cluster:
            return [e["address"] for e in c["endpoints"]]
    return []


def listener(admin, name):
    status, body = get(admin, "/listeners")
    for l in json.loads(body) if status == 200 else []:
        if l["name"] == name:
            return l["address"]
    return None


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def load(url, seconds, rate):
    return subprocess.Popen([os.path.join(BIN, "ferry-load"), "--url", url, "--rate", str(rate),
                             "--duration", "%ds" % seconds, "--connections", "8", "--threads", "1",
                             "--warmup", "0s"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def registration_and_drain(rounds):
    reg, first, last, exited = [], [], [], []
    for r in range(rounds):
        with tempfile.TemporaryDirectory(prefix="ferry-mesh-perf.") as work:
            m = Mesh(work)
            try:
                m.control()
                _, base_port, _ = m.app("base")
                m.sidecar("base", 250, "backend", base_port)
                _, client_admin, _ = m.sidecar("client", 255)
                egress = wait(lambda: listener(client_admin, "sc.egress.backend.8080"), 10)
                wait(lambda: len(endpoints(client_admin, "sc.service.backend")) == 1, 10)
                traffic = load("http://%s/" % egress, 20, 500)
                time.sleep(1)
                _, port, app_log = m.app("new")
                p, _, t0 = m.sidecar("new", 249, "backend", port)
                wait(lambda: len(endpoints(client_admin, "sc.service.backend")) == 2, 15)
                reg.append(time.monotonic() - t0)
                # The app's own start-up probe (m.app) is before t0.
                t_first = wait(lambda: next((t for t in request_times(app_log) if t > t0), None),
                               15)
                first.append(t_first - t0)
                time.sleep(2)
                t_term = time.monotonic()
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=20)
                exited.append(time.monotonic() - t_term)
                times = request_times(app_log)
                last.append(max(times) - t_term)
                traffic.wait(timeout=40)
            finally:
                m.stop()
    return reg, first, last, exited


def memory(counts):
    out = []
    with tempfile.TemporaryDirectory(prefix="ferry-mesh-perf.") as work:
        m = Mesh(work)
        try:
            top = max(counts)
            m.control(["--max-instances-per-service", str(top + 10),
                       "--max-instances-per-namespace", str(top + 10)])
            api = CloudMap(m.control_address)
            ns = api.create_namespace(NS)
            svc = api.call("CreateService", {"Name": "bulk", "NamespaceId": ns,
                                             "HealthCheckCustomConfig": {"FailureThreshold": 1}})
            service_id = svc["Service"]["Id"]
            p, admin, _ = m.sidecar("client", 255, extra_yaml=f"""listeners:
  - {{name: bulk, address: 127.0.0.1:0, cluster: bulk}}
clusters:
  - name: bulk
    discovery: {{namespace: {NS}, service: bulk}}
""")
            wait(lambda: get(admin, "/ready")[0] == 200, 15)
            time.sleep(1)
            base = rss_kib(p.pid)
            registered = 0
            for n in sorted(counts):
                while registered < n:
                    i = registered
                    api.call("RegisterInstance", {
                        "ServiceId": service_id, "InstanceId": "i-%d" % i,
                        "Attributes": {"AWS_INSTANCE_IPV4": "10.%d.%d.%d" % (
                            i >> 16 & 255, i >> 8 & 255, i & 255),
                            "AWS_INSTANCE_PORT": "8080", "zone": "z%d" % (i % 3)}})
                    registered += 1
                wait(lambda: len(endpoints(admin, "bulk")) == n, 60, 0.2)
                time.sleep(1)
                rss = rss_kib(p.pid)
                out.append((n, base, rss, (rss - base) * 1000.0 / n))
        finally:
            m.stop()
    return out


class CloudMap:
    """Unsigned Cloud Map JSON 1.1 calls (ferry-control without --credentials)."""

    def __init__(self, address):
        self.conn = http.client.HTTPConnection(*address.rsplit(":", 1), timeout=10)

    def call(self, action, body):
        self.conn.request("POST", "/", body=json.dumps(body), headers={
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "Route53AutoNaming_v20170314." + action})
        r = self.conn.getresponse()
        data = json.loads(r.read() or b"{}")
        if r.status != 200:
            raise RuntimeError("%s: %d %s" % (action, r.status, data))
        return data

    def create_namespace(self, name):
        op = self.call("CreateHttpNamespace", {"Name": name, "CreatorRequestId": "perf-" + name})
        for _ in range(200):
            o = self.call("GetOperation", {"OperationId": op["OperationId"]})["Operation"]
            if o["Status"] == "SUCCESS":
                return o["Targets"]["NAMESPACE"]
            time.sleep(0.05)
        raise RuntimeError("namespace not created")


def stats(values):
    values = sorted(values)
    return "median %.3f s, min %.3f s, max %.3f s (n=%d)" % (
        values[len(values) // 2], values[0], values[-1], len(values))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--endpoints", default="1000,5000")
    args = ap.parse_args()
    reg, first, last, exited = registration_and_drain(args.rounds)
    print("registration -> first request (client at 500 req/s, heartbeat 2s):")
    print("  sidecar start -> endpoint in the client's /clusters:", stats(reg))
    print("  sidecar start -> first request at the new app:      ", stats(first))
    print("SIGTERM -> last request (propagation_delay 1s):")
    print("  SIGTERM -> last request at the app:                 ", stats(last))
    print("  SIGTERM -> sidecar exit:                            ", stats(exited))
    print("memory of a client sidecar following N endpoints (RSS):")
    for n, base, rss, per in memory([int(x) for x in args.endpoints.split(",")]):
        print("  %6d endpoints: %d KiB -> %d KiB, %.0f KiB per 1000 endpoints" % (n, base, rss, per))


if __name__ == "__main__":
    sys.exit(main())
