#!/usr/bin/env bash
# The side-by-side benchmark (perf/README.md): ferry-proxy, HAProxy 2.6 and
# nginx 1.22 in front of the same nginx upstream, same load, same pinning.
#
#   perf/bench.sh [--quick] [--rounds N] [--duration S] [--targets direct,ferry,haproxy,nginx]
#                 [--scenarios h1max,h1rate,h2max,tcp,footprint] [--out DIR]
#   perf/bench.sh agreement      ferry-load against wrk and h2load on the same target
#
# `./setup.sh bench` installs the packages and builds first; run directly,
# this script does both when something is missing. Results: perf/results/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

need_deps=0
for tool in nginx haproxy iperf3 gnuplot wrk h2load; do
  command -v "$tool" >/dev/null 2>&1 || need_deps=1
done
[ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || need_deps=1
if [ "$need_deps" -eq 1 ]; then
  "$root/setup.sh" deps
fi
if [ ! -x "$root/build/bin/ferry-load" ] || [ ! -x "$root/build/bin/ferry-proxy" ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release -j "$(nproc)")
fi

if [ "${1:-}" = agreement ]; then
  shift
  exec /usr/bin/python3 "$here/bench/agreement.py" --root "$root" "$@"
fi
exec /usr/bin/python3 "$here/bench/bench.py" --root "$root" "$@"
