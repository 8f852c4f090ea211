#!/usr/bin/env bash
# The local demo: ferry-proxy in front of an nginx upstream on loopback,
# traffic through it, and what the sidecar saw. Run through `./setup.sh demo
# [SECONDS]` (which installs and builds first). Ctrl-C stops everything.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$here/build/bin"
seconds=${1:-0}  # 0: until Ctrl-C
work=$(mktemp -d /tmp/ferry-demo.XXXXXX)
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for URL: up to 10 s for a 200
  local i
  for i in $(seq 1 200); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; then
      return 0
    fi
    sleep 0.05
  done
  echo "demo: $1 did not answer" >&2
  return 1
}

# The application: nginx answering a small body, as a backend task would.
app_port=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
error_log $work/nginx.err;
pid $work/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$app_port;
    location / { return 200 "hello from the backend task\n"; }
  }
}
EOF
nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)

# The sidecar: an HTTP listener and a TCP listener in front of the app.
cat > "$work/ferry.yaml" <<EOF
admin: {address: 127.0.0.1:0}
workers: 2
drain: {propagation_delay: 1s, timeout: 10s}
listeners:
  - name: web
    address: 127.0.0.1:0
    cluster: backend
    access_log: {path: $work/access.log}
  - {name: raw, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:$app_port]
    retry_policy: {num_retries: 2}
EOF
"$bin/ferry-proxy" --config "$work/ferry.yaml" --admin-address-path "$work/admin" \
  2> "$work/ferry.log" &
pids+=($!)
for _ in $(seq 1 200); do [ -s "$work/admin" ] && break; sleep 0.05; done
admin=$(cat "$work/admin")
wait_for "http://$admin/ready"
web=$(curl -s "http://$admin/listeners" | /usr/bin/python3 -c 'import json,sys; print([l["address"] for l in json.load(sys.stdin) if l["name"]=="web"][0])')
wait_for "http://$web/"

echo "ferry demo"
echo "  app (nginx)       127.0.0.1:$app_port"
echo "  ferry http        $web"
echo "  ferry admin       $admin   (try: curl $admin/metrics, $admin/clusters, $admin/config)"
echo

round() {
  if [ -x "$bin/ferry-load" ]; then
    "$bin/ferry-load" --url "http://$web/" --duration 3s --connections 16 --rate 2000 \
      --json "$work/load.json" > /dev/null
    /usr/bin/python3 - "$work/load.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latency_seconds"]
print(f"  {r['requests']} requests at {r['rps']:.0f}/s, 2xx {r['status']['2xx']}, "
      f"errors {sum(r['errors'].values())}; latency p50 {lat['p50']*1e3:.2f} ms, "
      f"p99 {lat['p99']*1e3:.2f} ms")
EOF
  else
    local n=0
    for _ in $(seq 1 200); do curl -s -o /dev/null "http://$web/" && n=$((n + 1)); done
    echo "  $n requests sent with curl"
  fi
}

show_metrics() {
  curl -s "http://$admin/metrics" | grep -E '^ferry_(downstream_requests_total|upstream_requests_total|upstream_connections_total)\{' \
    | grep -v ' 0$' | sed 's/^/  /'
}

start=$(date +%s)
while true; do
  echo "traffic through the sidecar:"
  round
  echo "what the sidecar counted (GET /metrics):"
  show_metrics
  echo "where requests went (GET /clusters):"
  curl -s "http://$admin/clusters" | sed 's/^/  /'
  echo
  echo "last access-log line:"
  tail -n 1 "$work/access.log" 2>/dev/null | sed 's/^/  /' || true
  echo
  if [ "$seconds" != 0 ] && [ $(($(date +%s) - start)) -ge "$seconds" ]; then
    break
  fi
  sleep 2
done
