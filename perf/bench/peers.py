"""The processes of the benchmark: upstream, proxies under test, iperf3."""

import os
import resource
import socket
import string
import subprocess
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def _nofile_limit(wanted=100_000):
    """The descriptor limit the peers can get: `wanted`, or the hard limit
    when this process may not raise it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard >= wanted:
        return wanted
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, wanted))
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        return wanted
    except (ValueError, OSError):
        return hard


NOFILE = _nofile_limit()
# What every proxy can hold at once under that limit (HAProxy needs two
# descriptors per connection): the idle-connection test uses at most this.
MAX_CONNECTIONS = (NOFILE - 200) // 2
# 64 bytes with the newline; "\\n" is nginx's escape inside the quoted string.
BODY = "ferry bench upstream: a small fixed body".ljust(63, ".") + "\\n"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(template, path, **values):
    with open(os.path.join(HERE, "configs", template)) as f:
        text = string.Template(f.read()).substitute(**values)
    with open(path, "w") as f:
        f.write(text)
    return path


def pinned(cpu):
    """preexec_fn: pin to one CPU (what `taskset -c CPU` does) and allow many fds."""

    def setup():
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))

    return setup


def http_ok(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status == 200
    except OSError:
        return False


def wait_for(condition, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return False


class Process:
    """One started program (and its children), stopped by its own PID."""

    def __init__(self, name, argv, log_path, cpu):
        self.name = name
        self.log = open(log_path, "ab")
        self.started = time.monotonic()
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, preexec_fn=pinned(cpu))

    def alive(self):
        return self.popen.poll() is None

    def pids(self):
        from procfs import process_tree
        return process_tree(self.popen.pid) if self.alive() else []

    def stop(self):
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.log.close()


class Target:
    """A way to reach the upstream: directly, or through one proxy.

    ports: http1, h2c, tcp (None when the target does not offer it).
    start() returns None when ready, else the reason it is not available.
    """

    def __init__(self, name, workdir, cpu):
        self.name = name
        self.workdir = workdir
        self.cpu = cpu
        self.processes = []
        self.ports = {"http1": None, "h2c": None, "tcp": None}
        self.unavailable = {}  # protocol -> reason
        self.ready_seconds = None

    def url(self, protocol):
        port = self.ports.get(protocol)
        return f"http://127.0.0.1:{port}/" if port else None

    def pids(self):
        return [p for proc in self.processes for p in proc.pids()]

    def stop(self):
        for proc in self.processes:
            proc.stop()
        self.processes = []


def start_upstream(workdir, cpu, nginx="nginx"):
    os.makedirs(os.path.join(workdir, "tmp"), exist_ok=True)
    ports = {"http1": free_port(), "h2c": free_port()}
    conf = render("upstream-nginx.conf.in", os.path.join(workdir, "upstream.conf"),
                  dir=workdir, nofile=NOFILE, http1_port=ports["http1"], h2c_port=ports["h2c"], body=BODY)
    proc = Process("upstream", [nginx, "-p", workdir, "-c", conf, "-e",
                                os.path.join(workdir, "upstream-error.log")],
                   os.path.join(workdir, "upstream.out"), cpu)
    url = f"http://127.0.0.1:{ports['http1']}/"
    if not wait_for(lambda: http_ok(url), 10):
        proc.stop()
        raise RuntimeError("the upstream nginx did not start; see " + workdir)
    return proc, ports


def start_iperf_server(workdir, cpu):
    port = free_port()
    proc = Process("iperf3", ["iperf3", "-s", "-p", str(port)],
                   os.path.join(workdir, "iperf3-server.out"), cpu)

    def accepts():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    # iperf3 takes a probe connection as a failed test and keeps serving.
    if not wait_for(accepts, 10):
        proc.stop()
        raise RuntimeError("iperf3 -s did not start")
    return proc, port


class DirectTarget(Target):
    def __init__(self, workdir, cpu, upstream_ports, iperf_port):
        super().__init__("direct", workdir, cpu)
        self.ports = {"http1": upstream_ports["http1"], "h2c": upstream_ports["h2c"],
                      "tcp": iperf_port}

    def start(self):
        return None


class NginxTarget(Target):
    def __init__(self, workdir, cpu, upstream_port, iperf_port):
        super().__init__("nginx", workdir, cpu)
        self.upstream_port = upstream_port
        self.iperf_port = iperf_port

    def start(self):
        self.ports = {"http1": free_port(), "h2c": free_port(), "tcp": free_port()}
        d = os.path.join(self.workdir, f"nginx-{self.ports['http1']}")
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        conf = render("nginx-proxy.conf.in", os.path.join(d, "nginx.conf"), dir=d, nofile=NOFILE,
                      upstream_port=self.upstream_port, iperf_port=self.iperf_port,
                      http1_port=self.ports["http1"], h2c_port=self.ports["h2c"],
                      tcp_port=self.ports["tcp"])
        proc = Process("nginx", ["nginx", "-p", d, "-c", conf, "-e",
                                 os.path.join(d, "nginx-proxy-error.log")],
                       os.path.join(d, "nginx.out"), self.cpu)
        self.processes = [proc]
        if not wait_for(lambda: http_ok(self.url("http1"), 0.2), 10):
            self.stop()
            return "nginx did not answer through the proxy within 10 s"
        self.ready_seconds = time.monotonic() - proc.started
        return None


class HaproxyTarget(Target):
    def __init__(self, workdir, cpu, upstream_port, iperf_port):
        super().__init__("haproxy", workdir, cpu)
        self.upstream_port = upstream_port
        self.iperf_port = iperf_port

    def start(self):
        self.ports = {"http1": free_port(), "h2c": free_port(), "tcp": free_port()}
        d = os.path.join(self.workdir, f"haproxy-{self.ports['http1']}")
        os.makedirs(d, exist_ok=True)
        conf = render("haproxy.cfg.in", os.path.join(d, "haproxy.cfg"), dir=d,
                      maxconn=MAX_CONNECTIONS,
                      upstream_port=self.upstream_port, iperf_port=self.iperf_port,
                      http1_port=self.ports["http1"], h2c_port=self.ports["h2c"],
                      tcp_port=self.ports["tcp"])
        proc = Process("haproxy", ["haproxy", "-db", "-f", conf],
                       os.path.join(d, "haproxy.out"), self.cpu)
        self.processes = [proc]
        if not wait_for(lambda: http_ok(self.url("http1"), 0.2), 10):
            self.stop()
            return "haproxy did not answer through the proxy within 10 s"
        self.ready_seconds = time.monotonic() - proc.started
        return None


class FerryTarget(Target):
    """ferry-proxy: one instance for HTTP, one for TCP, each with its own config,
    so that either joins the comparison as soon as ferry supports it."""

    def __init__(self, workdir, cpu, upstream_port, iperf_port, binary, with_tcp=True):
        super().__init__("ferry", workdir, cpu)
        self.with_tcp = with_tcp
        self.upstream_port = upstream_port
        self.iperf_port = iperf_port
        self.binary = binary

    def _start_one(self, kind, template, ports):
        d = os.path.join(self.workdir, f"ferry-{kind}-{free_port()}")
        os.makedirs(d, exist_ok=True)
        conf = render(template, os.path.join(d, "ferry.yaml"), upstream_port=self.upstream_port,
                      iperf_port=self.iperf_port, **ports)
        admin_path = os.path.join(d, "admin-address")
        if not os.access(self.binary, os.X_OK):
            return None, f"{self.binary} is not built"
        proc = Process("ferry", [self.binary, "--config", conf, "--workers", "1",
                                 "--admin-address-path", admin_path, "--log-level", "warn"],
                       os.path.join(d, "ferry.out"), self.cpu)

        def ready():
            if not proc.alive():
                return True
            try:
                with open(admin_path) as f:
                    address = f.read().strip()
            except OSError:
                return False
            return bool(address) and http_ok(f"http://{address}/ready", 0.2)

        wait_for(ready, 10)
        if not proc.alive() or not os.path.exists(admin_path):
            proc.stop()
            with open(os.path.join(d, "ferry.out"), errors="replace") as f:
                tail = " ".join(f.read().split())[-300:]
            return None, f"ferry-proxy did not become ready ({tail or 'no output'})"
        return proc, None

    def start(self):
        self.ports = {"http1": None, "h2c": None, "tcp": None}
        self.unavailable = {}
        http1 = free_port()
        proc, why = self._start_one("http", "ferry-http.yaml.in", {"http1_port": http1})
        if proc:
            self.processes.append(proc)
            self.ready_seconds = time.monotonic() - proc.started
            if http_ok(f"http://127.0.0.1:{http1}/", 2):
                self.ports["http1"] = http1
            else:
                self.unavailable["http1"] = "ready, but no 200 through the HTTP listener"
        else:
            self.unavailable["http1"] = why
        self.unavailable["h2c"] = "ferry-proxy has no h2c listener yet"
        if not self.with_tcp:
            return None if self.ports["http1"] else self.unavailable["http1"]
        tcp = free_port()
        proc, why = self._start_one("tcp", "ferry-tcp.yaml.in", {"tcp_port": tcp})
        if proc:
            self.processes.append(proc)
            self.ports["tcp"] = tcp
        else:
            self.unavailable["tcp"] = why
        return None if any(self.ports.values()) else "; ".join(sorted(set(self.unavailable.values())))
