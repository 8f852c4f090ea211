#!/usr/bin/python3
"""The demo mesh's tiny applications (stdlib only).

  demo_app.py backend  PORT NAME          answers "NAME\n"
  demo_app.py frontend PORT HOSTS ALIAS   calls http://ALIAS/ through its
                                          sidecar and answers what came back

The frontend resolves ALIAS ("backend:8080") in the hosts file its sidecar
keeps (service_connect.hosts_file), as an application in a task resolves it
through /etc/hosts, and keeps one connection to its sidecar's egress listener.
"""
import http.client
import http.server
import socketserver
import sys
import threading


def resolve(hosts_path, name):
    with open(hosts_path) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if len(fields) >= 2 and name in fields[1:]:
                return fields[0]
    return None


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def serve(port, answer):
    """Answers every GET with answer() -> (status, body bytes)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The head and the body are two writes: without this, Nagle and
        # delayed ACKs add 40 ms to every keep-alive response.
        disable_nagle_algorithm = True

        def do_GET(self):
            status, body = answer()
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    Server(("127.0.0.1", port), Handler).serve_forever()


def backend(port, name):
    body = (name + "\n").encode()
    serve(port, lambda: (200, body))


def frontend(port, hosts_path, alias):
    name, alias_port = alias.rsplit(":", 1)
    local = threading.local()

    def call_backend():
        conn = getattr(local, "conn", None)
        for attempt in range(2):
            if conn is None:
                address = resolve(hosts_path, name)
                if address is None:
                    return 503, b"no address for %s yet\n" % name.encode()
                conn = http.client.HTTPConnection(address, int(alias_port), timeout=5)
                local.conn = conn
            try:
                conn.request("GET", "/", headers={"host": name})
                response = conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = local.conn = None
                if attempt == 1:
                    return 502, b"backend call failed\n"
        return 502, b"backend call failed\n"

    def answer():
        status, reply = call_backend()
        return status, b"frontend -> " + reply

    serve(port, answer)


if __name__ == "__main__":
    if sys.argv[1] == "backend":
        backend(int(sys.argv[2]), sys.argv[3])
    else:
        frontend(int(sys.argv[2]), sys.argv[3], sys.argv[4])
