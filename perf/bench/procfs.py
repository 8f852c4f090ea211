"""Reading /proc: CPU time of processes and CPUs, memory of processes."""

import os

CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    """pid and every descendant (nginx's master and its worker)."""
    pids = [pid]
    i = 0
    while i < len(pids):
        p = pids[i]
        i += 1
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    pids.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def cpu_seconds(pids):
    """utime + stime of the processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def memory_kib(pids):
    """(RSS, PSS) in KiB summed over the processes, from smaps_rollup."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def cpu_times():
    """Per-CPU (busy, total) jiffies from /proc/stat, plus the 'all' line.

    busy counts user, nice, system and steal (time the hypervisor gave to
    someone else); irq/softirq are left out because loopback networking of
    our own processes lands there without being charged to them.
    """
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *values = line.split()
            v = [int(x) for x in values]
            user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
            busy = user + nice + system + steal
            out[name] = (busy, sum(v[:8]))
    return out


def busy_fraction(before, after, cpu):
    b0, t0 = before[cpu]
    b1, t1 = after[cpu]
    return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
