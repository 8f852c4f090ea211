#!/usr/bin/python3
"""ferry's side-by-side benchmark: ferry-proxy, HAProxy and nginx in front of
the same upstream, same load, same pinning, same run. See perf/README.md."""

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import measure
import peers
import report

ALL_TARGETS = ["direct", "ferry", "haproxy", "nginx"]
ALL_SCENARIOS = ["h1max", "h1rate", "h2max", "tcp", "footprint"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--root", required=True, help="the repository (bench.sh passes it)")
    p.add_argument("--quick", action="store_true", help="short run (2 rounds of 3 s)")
    p.add_argument("--rounds", type=int, help="rounds (default 3, quick 2)")
    p.add_argument("--duration", type=int, help="seconds per load measurement (default 8, quick 3)")
    p.add_argument("--out", help="results folder (default perf/results)")
    p.add_argument("--targets", default=",".join(ALL_TARGETS))
    p.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    p.add_argument("--idle-connections", type=int, default=10_000)
    p.add_argument("--quiet-wait", type=int, help="max seconds to wait for a quiet machine")
    return p.parse_args()


def tool_version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def machine_info():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        with open("/etc/debian_version") as f:
            debian = f.read().strip()
    except OSError:
        debian = "unknown"
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {"cpu": cpu, "cpus": os.cpu_count(), "usable_cpus": sorted(os.sched_getaffinity(0)),
            "kernel": platform.release(), "debian": debian, "memory_gib": round(mem_kib / 2**20, 1)}


class Bench:
    def __init__(self, args):
        self.args = args
        quick = args.quick
        self.rounds = args.rounds or (2 if quick else 3)
        self.duration = args.duration or (3 if quick else 8)
        self.warmup = 1
        self.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (10 if quick else 60)
        self.targets = [t for t in args.targets.split(",") if t]
        self.scenarios = [s for s in args.scenarios.split(",") if s]
        cpus = sorted(os.sched_getaffinity(0))
        # The load generator on one core; upstream and proxy share the other,
        # so "direct" is the ceiling and every proxy pays the same upstream cost.
        self.load_cpu, self.server_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
        # Same count for every target; below 10 000 only where the descriptor
        # hard limit cannot be raised (then HAProxy could not hold them all).
        self.idle_connections = min(args.idle_connections, peers.MAX_CONNECTIONS)
        self.root = args.root
        self.load_bin = os.path.join(self.root, "build", "bin", "ferry-load")
        self.proxy_bin = os.path.join(self.root, "build", "bin", "ferry-proxy")
        self.out = args.out or os.path.join(self.root, "perf", "results")
        os.makedirs(self.out, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="ferry-bench-")
        self.raw = []
        self.unavailable = {}
        self.processes = []
        self.live = {}

    def our_pids(self):
        pids = []
        for proc in self.processes:
            pids += proc.pids()
        for target in self.live.values():
            pids += target.pids()
        return pids

    def log(self, text):
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    def make_target(self, name, with_tcp=True):
        up, ip = self.upstream_ports["http1"], self.iperf_port
        if name == "direct":
            return peers.DirectTarget(self.work, self.server_cpu, self.upstream_ports, ip)
        if name == "haproxy":
            return peers.HaproxyTarget(self.work, self.server_cpu, up, ip)
        if name == "nginx":
            return peers.NginxTarget(self.work, self.server_cpu, up, ip)
        if name == "ferry":
            return peers.FerryTarget(self.work, self.server_cpu, up, ip, self.proxy_bin, with_tcp)
        raise SystemExit(f"bench: unknown target {name}")

    def start(self):
        upstream, self.upstream_ports = peers.start_upstream(self.work, self.server_cpu)
        iperf, self.iperf_port = peers.start_iperf_server(self.work, self.server_cpu)
        self.processes = [upstream, iperf]
        for name in self.targets:
            target = self.make_target(name)
            why = target.start()
            if why:
                self.unavailable[name] = why
                self.log(f"{name}: not available ({why})")
                continue
            self.live[name] = target
            for proto, reason in target.unavailable.items():
                self.unavailable[f"{name} {proto}"] = reason
                self.log(f"{name}: {proto} not available ({reason})")

    def stop(self):
        for target in self.live.values():
            target.stop()
        for proc in self.processes:
            proc.stop()

    def record(self, rnd, scenario, target, result=None, error=None):
        entry = {"round": rnd, "scenario": scenario, "target": target}
        if result is not None:
            entry["result"] = result
        if error is not None:
            entry["error"] = error
        self.raw.append(entry)

    def load_args(self, scenario):
        d, w = f"{self.duration}s", f"{self.warmup}s"
        common = ["--duration", d, "--warmup", w, "--timeout", "5s"]
        if scenario == "h1max":
            return "http1", ["-c", "64", *common]
        if scenario == "h1rate":
            return "http1", ["-c", "16", "--rate", "1000", *common]
        return "h2c", ["--http2", "-c", "8", "--streams", "16", *common]

    def measure_one(self, rnd, scenario, name, machine):
        target = self.live[name]
        limit = self.duration + self.warmup + 60
        proxy_pids = target.pids() if name != "direct" else []
        if scenario == "tcp":
            port = target.ports.get("tcp")
            if not port:
                self.record(rnd, scenario, name, {"unavailable": target.unavailable.get("tcp")})
                return
            result = measure.iperf(port, max(2, self.duration // 2), proxy_pids, self.load_cpu,
                                   machine, limit)
            self.log(f"round {rnd} {scenario:8} {name:8} {result['gbit_per_second']:.2f} Gbit/s"
                     + ("  DISTURBED" if result["bench"]["disturbed"] else ""))
        else:
            protocol, args = self.load_args(scenario)
            url = target.url(protocol)
            if not url:
                self.record(rnd, scenario, name, {"unavailable": target.unavailable.get(protocol)})
                return
            result = measure.ferry_load(self.load_bin, url, args, proxy_pids, self.load_cpu,
                                        self.work, machine, limit)
            cpu = result["bench"].get("proxy_cpu_us_per_request")
            self.log(f"round {rnd} {scenario:8} {name:8} {result['rps']:10.0f} req/s  "
                     f"p50 {result['latency_seconds']['p50'] * 1e6:8.1f} us  "
                     f"p99 {result['latency_seconds']['p99'] * 1e6:8.1f} us"
                     + (f"  proxy {cpu:.1f} us/req" if cpu else "")
                     + ("  DISTURBED" if result["bench"]["disturbed"] else ""))
        self.record(rnd, scenario, name, result)

    def run(self):
        machine = measure.Machine([c for c in (self.load_cpu, self.server_cpu) if c is not None],
                                  self.our_pids)
        quiet_log = []
        for rnd in range(1, self.rounds + 1):
            busy = machine.wait_quiet(self.quiet_wait)
            quiet_log.append({"round": rnd, "busiest_cpu_share_at_start": busy,
                              "quiet": busy < 0.10})
            self.log(f"round {rnd}/{self.rounds}: busiest pinned CPU {busy:.0%} before the round"
                     + ("" if busy < 0.10 else " (NOT QUIET: round flagged)"))
            for scenario in self.scenarios:
                if scenario == "footprint":
                    self.footprint(rnd)
                    continue
                # Targets alternate within every scenario: A B C, A B C, ...
                for name in self.targets:
                    if name not in self.live:
                        continue
                    try:
                        self.measure_one(rnd, scenario, name, machine)
                    except RuntimeError as e:
                        self.log(f"round {rnd} {scenario} {name}: {e}")
                        self.record(rnd, scenario, name, error=str(e))
        return quiet_log

    def footprint(self, rnd):
        for name in self.targets:
            if name == "direct" or name in self.unavailable:
                continue
            fresh = self.make_target(name, with_tcp=False)
            result = measure.footprint(fresh, self.idle_connections, self.load_cpu, 120)
            self.record(rnd, "footprint", name, result)
            if "unavailable" in result:
                self.log(f"round {rnd} footprint {name}: {result['unavailable']}")
                continue
            self.log(f"round {rnd} footprint {name:8} ready {result['ready_ms']:.1f} ms  "
                     f"RSS {result['idle_rss_mib']:.1f} MiB  PSS {result['idle_pss_mib']:.1f} MiB  "
                     f"{result.get('bytes_per_idle_connection', 0):.0f} B/conn "
                     f"({result['connections_held']} held)")


def main():
    args = parse_args()
    for tool in ("nginx", "haproxy", "iperf3", "gnuplot"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is missing (./setup.sh deps installs it)")
    bench = Bench(args)
    if not os.access(bench.load_bin, os.X_OK):
        raise SystemExit(f"bench: {bench.load_bin} is not built (./setup.sh build)")
    started = datetime.datetime.now(datetime.timezone.utc)
    meta = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "stamp": started.strftime("%Y%m%d-%H%M%S"),
        "command": "./setup.sh bench " + " ".join(sys.argv[3:]) if len(sys.argv) > 3
                   else "./setup.sh bench",
        "machine": machine_info(),
        "versions": {"nginx": tool_version(["nginx", "-v"]),
                     "haproxy": tool_version(["haproxy", "-v"]),
                     "iperf3": tool_version(["iperf3", "--version"]),
                     "ferry-load": tool_version([bench.load_bin, "--version"])},
        "pinning": {"load_generator_cpu": bench.load_cpu, "upstream_and_proxy_cpu": bench.server_cpu},
        "idle_connections": bench.idle_connections, "fd_limit": peers.NOFILE,
        "rounds": bench.rounds, "duration_seconds": bench.duration,
        "warmup_seconds": bench.warmup, "targets": bench.targets, "scenarios": bench.scenarios,
    }
    if bench.idle_connections < args.idle_connections:
        bench.log(f"descriptor hard limit {peers.NOFILE}: the idle test holds "
                  f"{bench.idle_connections} connections, not {args.idle_connections}")
    if bench.load_cpu is None:
        bench.log("only one usable CPU: running unpinned (numbers are not comparable)")
    bench.log(f"work dir {bench.work}; results to {bench.out}")
    try:
        bench.start()
        meta["quiet"] = bench.run()
    finally:
        bench.stop()
    meta["disturbed_measurements"] = [
        {k: m[k] for k in ("round", "scenario", "target")}
        for m in bench.raw if (m.get("result") or {}).get("bench", {}).get("disturbed")]
    json_path, md_path, png, table = report.write(bench.out, bench.raw, bench.targets,
                                                  bench.unavailable, meta)
    print()
    print(table)
    if meta["disturbed_measurements"]:
        print(f"{len(meta['disturbed_measurements'])} measurement(s) ran while other processes "
              "used more than 10% of a CPU; listed in the JSON under meta.disturbed_measurements.")
    bench.log(f"wrote {json_path}, {md_path}" + (f", {png}" if png else ""))
    shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
