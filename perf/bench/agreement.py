#!/usr/bin/python3
"""Honesty check: ferry-load against wrk (HTTP/1.1) and h2load (HTTP/2) on
the same target, same connections, same pinning, alternating A B A B.

Prints requests/s and median latency of each tool, their ratio, and each
tool's own CPU time per request (the load generator must cost less than the
servers it measures). Not a test: timings on a shared machine vary, so it
reports and flags (|difference| > 10%) instead of failing.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time

import measure
import peers


def children_cpu():
    t = os.times()
    return t.children_user + t.children_system


def to_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def run_wrk(url, conns, seconds, cpu):
    before = children_cpu()
    code, out = measure.run_child(["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", url],
                                  cpu, seconds + 30)
    used = children_cpu() - before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = to_us(re.search(r"50%\s+(\S+)", out).group(1))
    return {"rps": rps, "p50_us": p50, "cpu_us_per_request": used * 1e6 / max(total, 1)}


def run_h2load(url, conns, streams, seconds, cpu, work):
    log = os.path.join(work, "h2load.log")
    before = children_cpu()
    code, out = measure.run_child(["h2load", "-t1", "-c", str(conns), "-m", str(streams), "-D",
                                   str(seconds), "--log-file", log, url], cpu, seconds + 30)
    used = children_cpu() - before
    rps = float(re.search(r"finished in [\d.]+s, ([\d.]+) req/s", out).group(1))
    with open(log) as f:
        durations = [int(line.split("\t")[2]) for line in f if line.strip()]
    os.unlink(log)
    return {"rps": rps, "p50_us": statistics.median(durations),
            "cpu_us_per_request": used * 1e6 / max(len(durations), 1)}


def run_ferry_load(binary, url, extra, seconds, cpu, work):
    path = os.path.join(work, "ferry-load.json")
    code, out = measure.run_child([binary, "--url", url, "-t", "1", "--duration", f"{seconds}s",
                                   "--warmup", "0s", "--progress", "never", "--json", path,
                                   *extra], cpu, seconds + 30)
    if code != 0:
        raise RuntimeError(out.strip()[-300:])
    with open(path) as f:
        r = json.load(f)
    cpu_s = r["cpu_seconds"]["user"] + r["cpu_seconds"]["system"]
    return {"rps": r["rps"], "p50_us": r["latency_seconds"]["p50"] * 1e6,
            "cpu_us_per_request": cpu_s * 1e6 / max(r["requests"], 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--root", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--quiet-wait", type=int, default=60,
                   help="max seconds to wait for a quiet machine before each round")
    args = p.parse_args()
    binary = os.path.join(args.root, "build", "bin", "ferry-load")
    cpus = sorted(os.sched_getaffinity(0))
    load_cpu, server_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    work = tempfile.mkdtemp(prefix="ferry-agreement-")
    upstream, ports = peers.start_upstream(work, server_cpu)
    h1 = f"http://127.0.0.1:{ports['http1']}/"
    h2 = f"http://127.0.0.1:{ports['h2c']}/"
    pairs = {
        "http/1.1, 64 connections": [
            ("wrk", lambda: run_wrk(h1, 64, args.duration, load_cpu)),
            ("ferry-load", lambda: run_ferry_load(binary, h1, ["-c", "64"], args.duration,
                                                  load_cpu, work))],
        "h2c, 8 connections x 16 streams": [
            ("h2load", lambda: run_h2load(h2, 8, 16, args.duration, load_cpu, work)),
            ("ferry-load", lambda: run_ferry_load(binary, h2, ["--http2", "-c", "8", "--streams",
                                                              "16"], args.duration, load_cpu,
                                                  work))],
    }
    results = {}
    machine = measure.Machine([c for c in (load_cpu, server_cpu) if c is not None],
                              upstream.pids)
    quiet = []
    try:
        for rnd in range(args.rounds):
            quiet.append(machine.wait_quiet(args.quiet_wait))
            for case, tools in pairs.items():
                for tool, run in tools:
                    try:
                        r = run()
                    except (RuntimeError, AttributeError, OSError, ValueError) as e:
                        r = {"error": str(e)}
                    results.setdefault(case, {}).setdefault(tool, []).append(r)
                    time.sleep(0.2)
    finally:
        upstream.stop()
    print(f"ferry-load vs wrk / h2load, {args.rounds} rounds of {args.duration} s, medians; "
          f"load generator pinned to CPU {load_cpu}, nginx upstream to CPU {server_cpu}")
    noisy = [f"{b:.0%}" for b in quiet if b >= 0.10]
    if noisy:
        print(f"WARNING: {len(noisy)} round(s) started on a busy machine (busiest pinned CPU "
              f"{', '.join(noisy)}): the comparison is not trustworthy")
    print(f"{'case':34} {'tool':11} {'req/s':>10} {'p50 us':>9} {'own CPU us/req':>15}")
    verdict = {}
    for case, tools in results.items():
        medians = {}
        for tool, runs in tools.items():
            ok = [r for r in runs if "error" not in r]
            if not ok:
                print(f"{case:34} {tool:11} error: {runs[0]['error']}")
                continue
            m = {k: statistics.median(r[k] for r in ok) for k in ok[0]}
            medians[tool] = m
            print(f"{case:34} {tool:11} {m['rps']:10.0f} {m['p50_us']:9.1f} "
                  f"{m['cpu_us_per_request']:15.2f}")
        if len(medians) == 2:
            (ref_name, ref), (_, ours) = list(medians.items())
            rps_diff = ours["rps"] / ref["rps"] - 1
            p50_diff = ours["p50_us"] / ref["p50_us"] - 1
            within = abs(rps_diff) <= 0.10 and abs(p50_diff) <= 0.10
            verdict[case] = within
            print(f"{'':34} ferry-load vs {ref_name}: req/s {rps_diff:+.1%}, p50 {p50_diff:+.1%}"
                  f" -> {'within 10%' if within else 'OUTSIDE 10%'}")
    with open(os.path.join(work, "agreement.json"), "w") as f:
        json.dump(results, f)
    subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
