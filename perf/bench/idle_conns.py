#!/usr/bin/python3
"""Holds N idle HTTP/1.1 keep-alive connections to HOST:PORT.

Opens them all, sends one GET on each, reads each response (Content-Length
framing), then prints "READY <ok> <failed>" and keeps every connection open,
idle, until stdin closes. Used to measure a proxy's memory per idle
keep-alive connection. Every wait is bounded by --timeout.
"""

import argparse
import resource
import selectors
import socket
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))

    request = f"GET / HTTP/1.1\r\nHost: {args.host}\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    pending = {}
    done = []
    failed = 0
    deadline = time.monotonic() + args.timeout
    # Connect in batches so the listen backlog never overflows.
    batch = 256
    opened = 0
    last_progress = time.monotonic()
    while (opened < args.count or pending) and time.monotonic() < deadline:
        if time.monotonic() - last_progress > 5:
            break  # the server stopped taking connections (its own limit)
        while opened < args.count and len(pending) < batch:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((args.host, args.port))
            pending[s] = {"sent": False, "buf": b""}
            selector.register(s, selectors.EVENT_WRITE)
            opened += 1
        for key, events in selector.select(timeout=0.5):
            last_progress = time.monotonic()
            s = key.fileobj
            state = pending[s]
            if not state["sent"]:
                try:
                    s.send(request)
                    state["sent"] = True
                    selector.modify(s, selectors.EVENT_READ)
                except OSError:
                    selector.unregister(s)
                    s.close()
                    del pending[s]
                    failed += 1
                continue
            try:
                chunk = s.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                selector.unregister(s)
                s.close()
                del pending[s]
                failed += 1
                continue
            state["buf"] += chunk
            head, sep, body = state["buf"].partition(b"\r\n\r\n")
            if not sep:
                continue
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(body) >= length:
                selector.unregister(s)
                del pending[s]
                done.append(s)
    failed += len(pending)
    print(f"READY {len(done)} {failed}", flush=True)
    sys.stdin.read()  # hold until the caller closes our stdin
    for s in done:
        s.close()


if __name__ == "__main__":
    main()
