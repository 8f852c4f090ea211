"""Summaries of the raw measurements: medians with spread, ratios, the
Markdown table, the JSON file and the gnuplot chart."""

import json
import os
import statistics
import subprocess

# (key, label, unit, scenario, extractor) — the extractor reads one raw result.
METRICS = [
    ("h1_rps", "HTTP/1.1 max req/s (64 conns)", "req/s", "h1max", lambda r: r["rps"]),
    ("h1_cpu_us", "HTTP/1.1 proxy CPU per request", "µs", "h1max",
     lambda r: r["bench"].get("proxy_cpu_us_per_request")),
    ("h1rate_p50_us", "HTTP/1.1 @1000 req/s p50", "µs", "h1rate",
     lambda r: r["latency_seconds"]["p50"] * 1e6),
    ("h1rate_added_p50_us", "HTTP/1.1 @1000 req/s p50 added over direct", "µs", "h1rate", None),
    ("h1rate_p99_us", "HTTP/1.1 @1000 req/s p99 (wake-up bound)", "µs", "h1rate",
     lambda r: r["latency_seconds"]["p99"] * 1e6),
    ("h2_rps", "HTTP/2 max req/s (8 conns × 16 streams)", "req/s", "h2max", lambda r: r["rps"]),
    ("h2_cpu_us", "HTTP/2 proxy CPU per request", "µs", "h2max",
     lambda r: r["bench"].get("proxy_cpu_us_per_request")),
    ("tcp_gbps", "TCP bulk throughput (iperf3, 1 stream)", "Gbit/s", "tcp",
     lambda r: r["gbit_per_second"]),
    ("tcp_cpu_s_per_gib", "TCP proxy CPU per GiB", "s", "tcp",
     lambda r: r.get("proxy_cpu_seconds_per_gib")),
    ("ready_ms", "exec to ready", "ms", "footprint", lambda r: r.get("ready_ms")),
    ("idle_rss_mib", "idle RSS", "MiB", "footprint", lambda r: r.get("idle_rss_mib")),
    ("idle_pss_mib", "idle PSS", "MiB", "footprint", lambda r: r.get("idle_pss_mib")),
    ("bytes_per_conn", "memory per idle keep-alive connection", "bytes", "footprint",
     lambda r: r.get("bytes_per_idle_connection")),
]


# The protocol each scenario needs from a target (for "not available").
SCENARIO_PROTOCOL = {"h1max": "http1", "h1rate": "http1", "h2max": "h2c", "tcp": "tcp",
                     "footprint": "http1"}


def collect(raw, targets):
    """metric -> target -> [values per round] (None-free)."""
    values = {key: {t: [] for t in targets} for key, *_ in METRICS}
    by = {}
    for m in raw:
        by[(m["round"], m["scenario"], m["target"])] = m
    for m in raw:
        result = m.get("result")
        if result is None or "unavailable" in result:
            continue
        for key, _, _, scenario, extract in METRICS:
            if scenario != m["scenario"]:
                continue
            if extract is None:
                direct = by.get((m["round"], "h1rate", "direct"), {}).get("result")
                if m["target"] == "direct" or not direct or "latency_seconds" not in direct:
                    continue
                v = (result["latency_seconds"]["p50"] - direct["latency_seconds"]["p50"]) * 1e6
            else:
                v = extract(result)
            if v is not None:
                values[key][m["target"]].append(v)
    return values


def summarize(values):
    out = {}
    for key, per_target in values.items():
        out[key] = {}
        for target, vs in per_target.items():
            if vs:
                out[key][target] = {"median": statistics.median(vs), "min": min(vs),
                                    "max": max(vs), "rounds": len(vs)}
    return out


def ratios(summary, subject="ferry"):
    out = {}
    for key, per_target in summary.items():
        s = per_target.get(subject)
        if not s:
            continue
        for peer in ("haproxy", "nginx"):
            p = per_target.get(peer)
            if p and p["median"]:
                out.setdefault(key, {})[f"{subject}/{peer}"] = s["median"] / p["median"]
    return out


def fmt_number(v):
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(entry):
    if not entry:
        return "—"
    if entry["min"] == entry["max"]:
        return fmt_number(entry["median"])
    return f"{fmt_number(entry['median'])} ({fmt_number(entry['min'])}–{fmt_number(entry['max'])})"


def markdown(summary, rat, targets, unavailable, meta):
    lines = [
        f"Run {meta['date']} on {meta['machine']['cpu']} × {meta['machine']['cpus']} "
        f"({meta['machine']['kernel']}); `{meta['command']}`; {meta['rounds']} rounds, "
        "median (min–max).",
        "",
        "| metric | unit | " + " | ".join(targets) + " | ferry ÷ haproxy | ferry ÷ nginx |",
        "|---|---|" + "---|" * len(targets) + "---|---|",
    ]
    for key, label, unit, scenario, _ in METRICS:
        row = [label, unit]
        for t in targets:
            entry = summary.get(key, {}).get(t)
            missing = t in unavailable or f"{t} {SCENARIO_PROTOCOL[scenario]}" in unavailable
            row.append(cell(entry) if entry else ("n/a" if missing else "—"))
        r = rat.get(key, {})
        row += [f"{r['ferry/haproxy']:.2f}" if "ferry/haproxy" in r else "—",
                f"{r['ferry/nginx']:.2f}" if "ferry/nginx" in r else "—"]
        lines.append("| " + " | ".join(row) + " |")
    if unavailable:
        lines.append("")
        for t, why in unavailable.items():
            lines.append(f"- {t}: not available — {why}")
    return "\n".join(lines) + "\n"


def plot(out_dir, raw, targets):
    """latency percentiles at 1000 req/s and CPU per request, as one PNG."""
    lat_rows = []
    for t in targets:
        per = {"p50": [], "p90": [], "p99": [], "p999": []}
        for m in raw:
            r = m.get("result") or {}
            if m["scenario"] == "h1rate" and m["target"] == t and "latency_seconds" in r:
                for p in per:
                    per[p].append(r["latency_seconds"][p] * 1e6)
        if per["p50"]:
            lat_rows.append((t, *(statistics.median(per[p]) for p in per)))
    cpu_rows = []
    for t in targets:
        h1, h2 = [], []
        for m in raw:
            r = m.get("result") or {}
            v = (r.get("bench") or {}).get("proxy_cpu_us_per_request")
            if m["target"] != t or v is None:
                continue
            if m["scenario"] == "h1max":
                h1.append(v)
            elif m["scenario"] == "h2max":
                h2.append(v)
        if h1 or h2:
            cpu_rows.append((t, statistics.median(h1) if h1 else 0,
                             statistics.median(h2) if h2 else 0))
    if not lat_rows and not cpu_rows:
        return None
    png = os.path.join(out_dir, "bench.png")
    panels = []
    if lat_rows:
        lat_path = os.path.join(out_dir, "latency.dat")
        with open(lat_path, "w") as f:
            f.write("target p50 p90 p99 p99.9\n")
            for row in lat_rows:
                f.write(" ".join(str(x) for x in row) + "\n")
        panels.append(f"""
set title "HTTP/1.1 latency at 1000 req/s (median of rounds)"
set ylabel "microseconds (log)"
set logscale y
set yrange [*:*]
plot for [i=2:5] "{lat_path}" using i:xtic(1)
unset logscale y
""")
    if cpu_rows:
        cpu_path = os.path.join(out_dir, "cpu.dat")
        with open(cpu_path, "w") as f:
            f.write("target http1.1 h2\n")
            for row in cpu_rows:
                f.write(" ".join(str(x) for x in row) + "\n")
        panels.append(f"""
set title "Proxy CPU per request (median of rounds)"
set ylabel "CPU microseconds per request"
set yrange [0:*]
plot for [i=2:3] "{cpu_path}" using i:xtic(1)
""")
    script = f"""
set terminal pngcairo size {700 * len(panels)},560 font ",10"
set output "{png}"
set multiplot layout 1,{len(panels)}
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key below autotitle columnheader
set grid ytics
""" + "".join(panels) + "unset multiplot\n"
    script_path = os.path.join(out_dir, "bench.gp")
    with open(script_path, "w") as f:
        f.write(script)
    done = subprocess.run(["gnuplot", script_path], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        print("bench: gnuplot failed:", done.stderr.strip()[-300:])
        return None
    return png


def write(out_dir, raw, targets, unavailable, meta):
    values = collect(raw, targets)
    summary = summarize(values)
    rat = ratios(summary)
    table = markdown(summary, rat, targets, unavailable, meta)
    stamp = meta["stamp"]
    json_path = os.path.join(out_dir, f"bench-{stamp}.json")
    with open(json_path, "w") as f:
        json.dump({"meta": meta, "unavailable": unavailable, "summary": summary, "ratios": rat,
                   "measurements": raw}, f, indent=1)
    md_path = os.path.join(out_dir, f"bench-{stamp}.md")
    with open(md_path, "w") as f:
        f.write(table)
    png = plot(out_dir, raw, targets)
    if png:
        final = os.path.join(out_dir, f"bench-{stamp}.png")
        os.replace(png, final)
        png = final
    return json_path, md_path, png, table
