#!/usr/bin/env bash
# ferry's one set-up script. On a fresh Debian 12 machine every subcommand first
# installs what it needs with apt-get (packages already present are skipped).
#
#   ./setup.sh demo [--seconds N]  build, then run the demo mesh (Ctrl-C stops it)
#   ./setup.sh test             build release + ASan/UBSan, run every test in both
#   ./setup.sh bench [ARGS]     build, then benchmark ferry against HAProxy and nginx
#   ./setup.sh build            install dependencies and build the release binaries
#   ./setup.sh deps             only install dependencies
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

# Build and library dependencies.
build_packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev libboost-url1.81-dev
  libnghttp2-dev libyaml-cpp-dev libsqlite3-dev prometheus-cpp-dev
  libcli11-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  clang-format
)
# Peers and tools the tests, the demo and the benchmark drive.
tool_packages=(
  nginx libnginx-mod-stream haproxy curl socat nghttp2-client wrk iperf3 prometheus etcd-server etcd-client
  awscli python3-boto3 python3-botocore python3-h2 python3-hyperframe python3-hpack
  strace lsof slowhttptest iptables iproute2 util-linux procps gnuplot-nox
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
  local missing=()
  local p
  for p in "${build_packages[@]}" "${tool_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "setup: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  # Debian starts the packaged daemons; the tests start their own on ephemeral ports.
  local svc
  for svc in nginx haproxy etcd prometheus; do
    as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
}

jobs() {
  nproc 2>/dev/null || echo 2
}

build_preset() {
  local preset=$1
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(jobs)"
}

run_tests() {
  local start status=0
  start=$(date +%s)
  build_preset release
  ctest --preset release -j "$(jobs)" || status=1
  build_preset asan
  ctest --preset asan -j "$(jobs)" || status=1
  echo "setup: tests finished in $(($(date +%s) - start)) s, status $status" >&2
  return "$status"
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  deps) install_deps ;;
  build) install_deps && build_preset release ;;
  test) install_deps && run_tests ;;
  demo) install_deps && build_preset release && exec docker/demo.sh "$@" ;;
  bench) install_deps && build_preset release && exec perf/bench.sh "$@" ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    [ "$cmd" = help ] || exit 2
    ;;
esac
