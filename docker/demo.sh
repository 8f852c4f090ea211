#!/usr/bin/env bash
# The demo mesh on loopback: ferry-control, a `frontend` task calling the
# `backend` service (three tasks), every task an application (docker/demo_app.py)
# with its ferry-proxy sidecar (service_connect), traffic from ferry-load, and
# where the requests went. Run through `./setup.sh demo [--seconds N]` (which
# installs and builds first). Ctrl-C stops everything (only this script's
# processes, by PID).
#
#   client (ferry-load) -> frontend sidecar ingress -> frontend app
#     -> http://backend:8080 (hosts file -> the frontend sidecar's egress
#        listener 127.255.0.1:8080) -> backend task N's sidecar ingress
#     -> backend app N
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$here/build/bin"
app="$here/docker/demo_app.py"
seconds=0  # 0: until Ctrl-C
rate=200
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    [0-9]*) seconds=$1; shift ;;
    *) echo "usage: demo.sh [--seconds N] [--rate RPS]" >&2; exit 2 ;;
  esac
done
for tool in "$bin/ferry-proxy" "$bin/ferry-control" "$bin/ferry-load" /usr/bin/python3 curl; do
  [ -x "$tool" ] || command -v "$tool" >/dev/null || { echo "demo: $tool is missing" >&2; exit 1; }
done
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

wait_for() {  # wait_for URL [SECONDS]: a 200 within the time (default 15 s)
  local i limit=$((${2:-15} * 20))
  for i in $(seq 1 "$limit"); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ]; then
      return 0
    fi
    sleep 0.05
  done
  echo "demo: $1 did not answer; logs in $work" >&2
  trap - EXIT
  cleanup_keep_logs
  exit 1
}

cleanup_keep_logs() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

listener() {  # listener ADMIN NAME: the bound address of a listener
  curl -s "http://$1/listeners" | /usr/bin/python3 -c \
    'import json,sys; print(next((l["address"] for l in json.load(sys.stdin) if l["name"]==sys.argv[1]), ""))' "$2"
}

metric() {  # metric ADMIN PREFIX: the sum of the series starting with PREFIX
  curl -s "http://$1/metrics" | awk -v s="$2" 'index($1, s) == 1 { sum += $2 } END { printf "%d\n", sum }'
}

# --- ferry-control: the registry (SQLite in the work dir) ---
"$bin/ferry-control" --listen 127.0.0.1:0 --address-file "$work/control.addr" \
  --data-dir "$work/control" 2> "$work/control.log" &
pids+=($!)
for _ in $(seq 1 200); do [ -s "$work/control.addr" ] && break; sleep 0.05; done
control=$(cat "$work/control.addr")
wait_for "http://$control/ready"

# --- a task's sidecar ---
# start_sidecar DIR INSTANCE_ID SERVICE APP_PORT ALIAS_PORT TASK_IP [EGRESS_OCTET]
# Writes its config, starts it and waits for its admin address. Tasks share
# this host's loopback, so each sidecar gets its own advertise address and,
# except the frontend's (the default 127.255), its own egress network.
start_sidecar() {
  local dir=$1 id=$2 service=$3 port=$4 alias_port=$5 ip=$6 octet=${7:-}
  cat > "$dir/ferry.yaml" <<EOF
admin: {address: 127.0.0.1:0}
workers: 1
drain: {propagation_delay: 1s, timeout: 10s}
control_plane:
  addresses: [$control]
  snapshot_path: $dir/snapshot.json
  heartbeat_interval: 2s
service_connect:
  namespace: demo.local
  advertise_address: $ip
${octet:+  egress_network: 127.$octet.0.0/16
}  hosts_file: $dir/hosts
  services:
    - portName: $service
      port: $port
      appProtocol: http
      clientAliases: [{port: $alias_port, dnsName: $service}]
EOF
  FERRY_INSTANCE_ID="$id" "$bin/ferry-proxy" --config "$dir/ferry.yaml" \
    --admin-address-path "$dir/admin" 2> "$dir/ferry.log" &
  pids+=($!)
  for _ in $(seq 1 200); do [ -s "$dir/admin" ] && break; sleep 0.05; done
}

# --- a backend task: its application, then its sidecar ---
# start_task NAME SERVICE ALIAS_PORT TASK_IP EGRESS_OCTET
start_task() {
  local name=$1 service=$2 alias_port=$3 ip=$4 octet=$5
  local port dir="$work/$name"
  port=$(free_port)
  mkdir -p "$dir"
  /usr/bin/python3 "$app" backend "$port" "$name" > "$dir/app.log" 2>&1 &
  pids+=($!)
  start_sidecar "$dir" "$name" "$service" "$port" "$alias_port" "$ip" "$octet"
  wait_for "http://$(cat "$dir/admin")/ready"
}

backends=(backend-1 backend-2 backend-3)
for i in 1 2 3; do
  start_task "backend-$i" backend 8080 "127.0.0.1$i" $((250 - i))
done
# The frontend task: its sidecar first (the app resolves `backend` in the
# hosts file the sidecar keeps), on the default egress network 127.255.
start_frontend() {
  local dir="$work/frontend" port
  port=$(free_port)
  mkdir -p "$dir"
  start_sidecar "$dir" frontend-1 frontend "$port" 8081 127.0.0.10
  for _ in $(seq 1 200); do grep -q ' backend$' "$dir/hosts" 2>/dev/null && break; sleep 0.05; done
  /usr/bin/python3 "$app" frontend "$port" "$dir/hosts" backend:8080 > "$dir/app.log" 2>&1 &
  pids+=($!)
  wait_for "http://$(cat "$dir/admin")/ready"
}
start_frontend
front_admin=$(cat "$work/frontend/admin")
front_ingress=$(listener "$front_admin" sc.ingress.frontend)
front_url="http://127.0.0.10:${front_ingress##*:}/"
wait_for "$front_url" 20

echo "ferry demo mesh (namespace demo.local, registry ferry-control on $control)"
echo "  frontend    app + sidecar, ingress $front_url, admin $front_admin"
for b in "${backends[@]}"; do
  echo "  $b   sidecar admin $(cat "$work/$b/admin"), registered as $(grep -o 'advertise_address: .*' "$work/$b/ferry.yaml" | cut -d' ' -f2):$(listener "$(cat "$work/$b/admin")" sc.ingress.backend | sed 's/.*://')"
done
echo "  frontend's hosts file: $(grep ' backend$' "$work/frontend/hosts")"
echo "look around:"
echo "  curl $front_url"
echo "  curl http://$front_admin/clusters     # backend endpoints as the frontend sees them"
echo "  curl http://$front_admin/metrics | grep -E 'ferry_(upstream_requests|control_plane|snapshot_age)'"
echo "  curl http://$front_admin/listeners    # ingress + one egress listener per alias"
echo

declare -A last
for b in "${backends[@]}"; do last[$b]=0; done
series='ferry_downstream_requests_total{listener="sc.ingress.backend",code_class="2xx"'

round() {
  "$bin/ferry-load" --url "$front_url" --duration 3s --warmup 0s --connections 8 --rate "$rate" \
    --json "$work/load.json" > /dev/null 2>&1 || true
  /usr/bin/python3 - "$work/load.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latency_seconds"]
print(f"  {r['requests']} requests at {r['rps']:.0f}/s, 2xx {r['status']['2xx']}, "
      f"errors {sum(r['errors'].values()) - r['errors']['status_4xx'] - r['errors']['status_5xx']} "
      f"(+{r['status']['5xx']} 5xx); latency p50 {lat['p50']*1e3:.2f} ms, "
      f"p99 {lat['p99']*1e3:.2f} ms, max {lat['max']*1e3:.2f} ms")
EOF
  echo "  where the requests went (each backend sidecar's ingress, this round):"
  local b now
  for b in "${backends[@]}"; do
    now=$(metric "$(cat "$work/$b/admin")" "$series")
    printf '    %-10s %6d\n' "$b" $((${now%.*} - ${last[$b]%.*}))
    last[$b]=$now
  done
}

start=$(date +%s)
while true; do
  echo "traffic: ferry-load -> frontend -> backend ($rate requests/s for 3 s)"
  round
  echo "  control plane connected: $(metric "$front_admin" ferry_control_plane_connected)," \
    "frontend endpoints for backend: $(curl -s "http://$front_admin/clusters" | /usr/bin/python3 -c \
    'import json,sys; print(sum(len(c["endpoints"]) for c in json.load(sys.stdin) if c["name"]=="sc.service.backend"))')"
  echo
  if [ "$seconds" != 0 ] && [ $(($(date +%s) - start)) -ge "$seconds" ]; then
    break
  fi
  sleep 1
done
