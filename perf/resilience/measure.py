#!/usr/bin/python3
"""The resilience measurements (not tests): ferry-load at a constant rate
through ferry-proxy against ferry-test-upstream endpoints.

  failing   five endpoints, one answers 503 to everything: client success
            rate and upstream load amplification, with and without retries
            and ejection
  slow      five endpoints, one 10x slower: client p50/p99 under ewma and
            round_robin
  overhead  one fast endpoint: ferry's CPU per request with every policy
            configured but idle vs none (alternating rounds, medians)

Usage: perf/resilience/measure.py [--bin build/bin] [failing|slow|overhead]...
Every child is started here and stopped by its PID; every wait is bounded.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


class Upstream:
    def __init__(self, binary, tmp, name, status=200, delay_us=0, cpu=None):
        self.addr_file = os.path.join(tmp, name + ".addr")
        argv = [binary, "--listen", "127.0.0.1:0", "--status", str(status),
                "--delay-us", str(delay_us), "--address-file", self.addr_file]
        self.proc = subprocess.Popen(pin(argv, cpu), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.address = wait_file(self.addr_file)

    def stop(self):
        """Stops it; returns how many requests it served."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        for line in out.decode().splitlines():
            if line.startswith("requests "):
                return int(line.split()[1])
        return -1


class Proxy:
    def __init__(self, binary, tmp, config, cpu=None):
        self.config = os.path.join(tmp, "ferry.yaml")
        with open(self.config, "w") as f:
            f.write(config)
        admin_file = os.path.join(tmp, "admin.addr")
        if os.path.exists(admin_file):
            os.unlink(admin_file)
        self.log = open(os.path.join(tmp, "ferry.log"), "w")
        self.proc = subprocess.Popen(pin([binary, "--config", self.config,
                                          "--admin-address-path", admin_file], cpu),
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.admin = wait_file(admin_file)
        deadline = time.monotonic() + 10
        while get(self.admin, "/ready")[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("ferry-proxy not ready")
            time.sleep(0.05)
        listeners = json.loads(get(self.admin, "/listeners")[1])
        self.listener = listeners[0]["address"]

    def metric(self, series):
        for line in get(self.admin, "/metrics")[1].splitlines():
            if line.startswith(series + " "):
                return float(line.split()[-1])
        return 0.0

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def pin(argv, cpu):
    return argv if cpu is None else ["taskset", "-c", str(cpu)] + argv


def wait_file(path, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            text = open(path).read().strip()
            if text:
                return text
        time.sleep(0.02)
    raise RuntimeError("no " + path)


def get(address, path):
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def load(bin_dir, url, rate, duration, connections, cpu_pid=None, cpu=None):
    out = tempfile.mktemp(suffix=".json")
    argv = [os.path.join(bin_dir, "ferry-load"), "--url", url, "--rate", str(rate),
            "--duration", f"{duration}s", "--warmup", "1s", "--connections", str(connections),
            "--threads", "1", "--timeout", "5s", "--json", out, "--progress", "never"]
    if cpu_pid:
        argv += ["--cpu-pid", str(cpu_pid)]
    subprocess.run(pin(argv, cpu), check=True, stdout=subprocess.DEVNULL, timeout=duration + 60)
    with open(out) as f:
        result = json.load(f)
    os.unlink(out)
    return result


def cluster_yaml(endpoints, keys):
    return ("admin: {address: 127.0.0.1:0}\n"
            "workers: 2\n"
            "listeners:\n"
            "  - {name: web, address: 127.0.0.1:0, cluster: backend}\n"
            "clusters:\n"
            "  - name: backend\n"
            f"    endpoints: [{', '.join(endpoints)}]\n" + keys)


RETRIES = "    retry_policy: {num_retries: 2}\n"
BUDGET = ("    retry_policy: {num_retries: 2, budget: {budget_percent: 20, "
          "min_retry_concurrency: 3}}\n")
EJECTION = "    outlier_detection: {}\n"
EJECTION_SHORT = ("    outlier_detection: {base_ejection_time: 2s, max_ejection_time: 10s,"
                  " interval: 5s}\n")


def failing(args):
    print(f"## five endpoints, one answers 503 to all: {args.rate} req/s for {args.duration} s")
    print("| policies | client success | upstream requests / client requests | retries | "
          "retry overflow | ejections |")
    print("|---|---|---|---|---|---|")
    cases = [("none", ""), ("retries", RETRIES), ("ejection", EJECTION),
             ("retries + ejection", RETRIES + EJECTION),
             ("retries + ejection (base 2s, returns every few s)", RETRIES + EJECTION_SHORT),
             ("retries with a 20% budget + ejection (base 2s)", BUDGET + EJECTION_SHORT)]
    for name, keys in cases:
        with tempfile.TemporaryDirectory() as tmp:
            ups = [Upstream(args.upstream, tmp, f"u{i}", 503 if i == 0 else 200)
                   for i in range(5)]
            proxy = Proxy(args.proxy, tmp, cluster_yaml([u.address for u in ups], keys))
            r = load(args.bin, f"http://{proxy.listener}/", args.rate, args.duration, 32)
            answered = proxy.metric('ferry_downstream_requests_total{listener="web",'
                                    'code_class="2xx"}') + proxy.metric(
                'ferry_downstream_requests_total{listener="web",code_class="5xx"}')
            retries = proxy.metric('ferry_upstream_retries_total{cluster="backend"}')
            overflow = proxy.metric('ferry_upstream_retry_overflow_total{cluster="backend"}')
            ejections = sum(proxy.metric('ferry_outlier_ejections_total{cluster="backend",'
                                         f'reason="{reason}"}}')
                            for reason in ["consecutive_5xx", "consecutive_gateway_failure"])
            proxy.stop()
            served = sum(u.stop() for u in ups)
            ok = r["status"]["2xx"]
            total = r["requests"] + sum(v for k, v in r["errors"].items()
                                        if not k.startswith("status"))
            print(f"| {name} | {100.0 * ok / total:.3f}% ({total - ok} of {total} failed) | "
                  f"{served / answered:.4f} ({served:.0f} / {answered:.0f}) | {retries:.0f} | "
                  f"{overflow:.0f} | {ejections:.0f} |")


def slow(args):
    print(f"## five endpoints, one 10x slower (1 ms vs 10 ms): {args.rate} req/s, "
          f"{args.duration} s")
    print("| lb_policy | p50 | p90 | p99 | p99.9 | slow endpoint's share |")
    print("|---|---|---|---|---|---|")
    latency = ("    outlier_detection: {interval: 2s, latency: {minimum_hosts: 3, "
               "request_volume: 10, minimum_excess: 2ms}}\n")
    cases = [("round_robin", ""), ("least_request", ""), ("ewma", ""),
             ("round_robin", latency), ("ewma", latency)]
    for policy, keys in cases:
        with tempfile.TemporaryDirectory() as tmp:
            ups = [Upstream(args.upstream, tmp, f"u{i}", 200, 10000 if i == 0 else 1000)
                   for i in range(5)]
            proxy = Proxy(args.proxy, tmp, cluster_yaml([u.address for u in ups],
                                                         f"    lb_policy: {policy}\n" + keys))
            r = load(args.bin, f"http://{proxy.listener}/", args.rate, args.duration, 64)
            proxy.stop()
            served = [u.stop() for u in ups]
            lat = r["latency_seconds"]
            ms = lambda k: f"{lat[k] * 1000:.2f} ms"
            name = policy + (" + latency ejection (interval 2s)" if keys else "")
            print(f"| {name} | {ms('p50')} | {ms('p90')} | {ms('p99')} | {ms('p999')} | "
                  f"{100.0 * served[0] / sum(served):.1f}% |")


ALL_IDLE = """    lb_policy: round_robin
    retry_policy: {num_retries: 2, budget: {budget_percent: 20, min_retry_concurrency: 3}}
    outlier_detection: {success_rate: {}, latency: {}}
    health_check: {path: /healthz, interval: 1s}
    circuit_breakers: {max_connections: 1024, max_pending_requests: 1024, max_requests: 1024}
"""


def overhead_yaml(endpoint, idle_policies):
    listener = "  - {name: web, address: 127.0.0.1:0, cluster: backend}\n"
    cluster = ""
    if idle_policies:
        listener = ("  - name: web\n    address: 127.0.0.1:0\n"
                    "    rate_limit: {requests_per_second: 1000000000}\n"
                    "    routes:\n"
                    "      - {prefix: /, cluster: backend, rate_limit: {requests_per_second: "
                    "1000000000}, fault: {abort: {status: 503, percent: 0}, "
                    "delay: {duration: 1s, percent: 0}}}\n")
        cluster = ALL_IDLE
    return ("admin: {address: 127.0.0.1:0}\nworkers: 1\nlisteners:\n" + listener +
            "clusters:\n  - name: backend\n    endpoints: [" + endpoint + "]\n" + cluster)


def overhead(args):
    print(f"## CPU per request, every policy configured but idle vs none "
          f"({args.rate} req/s, {args.duration} s, {args.rounds} alternating rounds; "
          f"ferry pinned to CPU 0, upstream and ferry-load to CPU 1)")
    results = {"none": [], "all idle": []}
    with tempfile.TemporaryDirectory() as tmp:
        up = Upstream(args.upstream, tmp, "u", 200, 0, cpu=1)
        for rnd in range(args.rounds):
            for name in (["none", "all idle"] if rnd % 2 == 0 else ["all idle", "none"]):
                proxy = Proxy(args.proxy, tmp, overhead_yaml(up.address, name == "all idle"),
                              cpu=0)
                r = load(args.bin, f"http://{proxy.listener}/", args.rate, args.duration, 16,
                         cpu_pid=proxy.proc.pid, cpu=1)
                proxy.stop()
                cpu = r["peer_cpu_seconds"]
                us = (cpu["user"] + cpu["system"]) * 1e6 / max(1, r["requests"])
                results[name].append((us, r["latency_seconds"]["p50"] * 1e6, r["status"]["2xx"],
                                      r["requests"]))
        up.stop()
    print("| config | CPU µs/request (median; all rounds) | p50 µs (median) | non-2xx |")
    print("|---|---|---|---|")
    for name, rows in results.items():
        med = statistics.median(x[0] for x in rows)
        p50 = statistics.median(x[1] for x in rows)
        bad = sum(x[3] - x[2] for x in rows)
        print(f"| {name} | {med:.2f} ({', '.join(f'{x[0]:.2f}' for x in rows)}) | {p50:.0f} | "
              f"{bad} |")
    a = statistics.median(x[0] for x in results["none"])
    b = statistics.median(x[0] for x in results["all idle"])
    print(f"\nall idle / none = {b / a:.3f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("which", nargs="*", default=["failing", "slow", "overhead"])
    p.add_argument("--bin", default="build/bin")
    p.add_argument("--rate", type=int, default=None)
    p.add_argument("--duration", type=int, default=None)
    p.add_argument("--rounds", type=int, default=6)
    args = p.parse_args()
    args.proxy = os.path.join(args.bin, "ferry-proxy")
    args.upstream = os.path.join(args.bin, "ferry-test-upstream")
    defaults = {"failing": (2000, 30), "slow": (1000, 30), "overhead": (5000, 10)}
    for which in args.which:
        rate, duration = defaults[which]
        run = argparse.Namespace(**vars(args))
        run.rate = args.rate or rate
        run.duration = args.duration or duration
        {"failing": failing, "slow": slow, "overhead": overhead}[which](run)
        print()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
