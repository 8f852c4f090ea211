"""One measurement each: ferry-load runs, iperf3 runs, footprint, and the
machine-quiet bookkeeping around them."""

import json
import os
import subprocess
import time

import peers
import procfs

# A measurement is "disturbed" when processes other than ours used more than
# this share of one CPU while it ran (other builds on a shared machine).
DISTURBED_FOREIGN_CPU = 0.10


class Machine:
    """CPU bookkeeping: waits for quiet, and tells a disturbed measurement."""

    def __init__(self, cpus, our_pids):
        self.cpus = cpus          # the CPUs the benchmark pins to
        self.our_pids = our_pids  # callable: PIDs of our long-running processes

    def wait_quiet(self, limit, threshold=0.10):
        """Waits (at most `limit` s) until each pinned CPU is < threshold busy.
        Returns the busiest CPU's share over the last second sampled."""
        deadline = time.monotonic() + limit
        while True:
            before = procfs.cpu_times()
            time.sleep(1.0)
            after = procfs.cpu_times()
            names = [f"cpu{c}" for c in self.cpus] if self.cpus else ["cpu"]
            busiest = max(procfs.busy_fraction(before, after, n) for n in names)
            if busiest < threshold or time.monotonic() >= deadline:
                return busiest

    def start(self):
        return (time.monotonic(), procfs.cpu_times(), procfs.cpu_seconds(self.our_pids()))

    def foreign_share(self, started, child_cpu_seconds):
        """Share of one CPU used by processes that are not ours since start()."""
        t0, stat0, ours0 = started
        wall = time.monotonic() - t0
        stat1 = procfs.cpu_times()
        ours = procfs.cpu_seconds(self.our_pids()) - ours0 + child_cpu_seconds
        busy = (stat1["cpu"][0] - stat0["cpu"][0]) / procfs.CLK_TCK
        return max(0.0, busy - ours) / wall if wall > 0 else 0.0


def run_child(argv, cpu, timeout):
    """Runs a pinned child to completion (bounded); (exit code, output)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, preexec_fn=peers.pinned(cpu))
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return proc.returncode, output.decode(errors="replace")


def ferry_load(binary, url, args, proxy_pids, cpu, workdir, machine, limit):
    """Runs ferry-load; returns its JSON report plus the bench's own fields."""
    report_path = os.path.join(workdir, f"load-{time.monotonic_ns()}.json")
    argv = [binary, "--url", url, "--json", report_path, "--progress", "never", *args]
    for pid in proxy_pids:
        argv += ["--cpu-pid", str(pid)]
    before_children = os.times()
    started = machine.start()
    code, output = run_child(argv, cpu, limit)
    after_children = os.times()
    child_cpu = (after_children.children_user - before_children.children_user +
                 after_children.children_system - before_children.children_system)
    foreign = machine.foreign_share(started, child_cpu)
    if code != 0 or not os.path.exists(report_path):
        raise RuntimeError(f"ferry-load failed ({code}): {output.strip()[-500:]}")
    with open(report_path) as f:
        report = json.load(f)
    os.unlink(report_path)
    report["bench"] = {"foreign_cpu_share": foreign,
                       "disturbed": foreign > DISTURBED_FOREIGN_CPU}
    peer = report.get("peer_cpu_seconds")
    if peer and peer.get("user") is not None and report["requests"] > 0:
        report["bench"]["proxy_cpu_us_per_request"] = (
            (peer["user"] + peer["system"]) * 1e6 / report["requests"])
    return report


def iperf(url_port, seconds, proxy_pids, cpu, machine, limit):
    """TCP bulk throughput through a port (iperf3 client, one stream)."""
    before_children = os.times()
    started = machine.start()
    proxy_before = procfs.cpu_seconds(proxy_pids)
    code, output = run_child(["iperf3", "-c", "127.0.0.1", "-p", str(url_port),
                                 "-t", str(seconds), "-J"], cpu, limit)
    proxy_cpu = procfs.cpu_seconds(proxy_pids) - proxy_before
    after_children = os.times()
    child_cpu = (after_children.children_user - before_children.children_user +
                 after_children.children_system - before_children.children_system)
    foreign = machine.foreign_share(started, child_cpu)
    try:
        data = json.loads(output)
        bps = data["end"]["sum_received"]["bits_per_second"]
        received = data["end"]["sum_received"]["bytes"]
    except (ValueError, KeyError) as e:
        raise RuntimeError(f"iperf3 failed ({code}): {output.strip()[-300:]}") from e
    result = {"gbit_per_second": bps / 1e9, "bytes": received,
              "bench": {"foreign_cpu_share": foreign,
                        "disturbed": foreign > DISTURBED_FOREIGN_CPU}}
    if proxy_pids and received > 0:
        result["proxy_cpu_seconds_per_gib"] = proxy_cpu / (received / 2**30)
    return result


def footprint(target, connections, cpu, limit):
    """Starts a fresh instance of the target and measures it: exec-to-ready,
    idle RSS/PSS, and memory per idle keep-alive connection."""
    why = target.start()
    if why or not target.ports.get("http1"):
        target.stop()
        return {"unavailable": why or target.unavailable.get("http1", "no HTTP listener")}
    try:
        ready = target.ready_seconds
        pids = target.pids()
        rss0, pss0 = procfs.memory_kib(pids)
        holder = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(peers.HERE, "idle_conns.py"), "127.0.0.1",
             str(target.ports["http1"]), str(connections), "--timeout", str(limit)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=peers.pinned(cpu))
        try:
            line = holder.stdout.readline().decode().split()
            ok = int(line[1]) if len(line) == 3 and line[0] == "READY" else 0
            time.sleep(0.5)  # let the proxy settle its buffers after the burst
            rss1, pss1 = procfs.memory_kib(target.pids())
        finally:
            holder.stdin.close()
            holder.wait(timeout=limit)
        result = {"ready_ms": ready * 1e3, "idle_rss_mib": rss0 / 1024, "idle_pss_mib": pss0 / 1024,
                  "connections_held": ok}
        if ok > 0:
            result["bytes_per_idle_connection"] = (rss1 - rss0) * 1024 / ok
        return result
    finally:
        target.stop()
