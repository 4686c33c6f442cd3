#!/usr/bin/env python3
"""Runs examples/echo_server as a user would, once per backend: it must say
which backend runs and where it listens, echo bytes exactly over several
connections at once, and stop cleanly on SIGINT and on SIGTERM with a
connection still open (exit 0, "stopped"). A backend this machine cannot run
(io_uring forbidden) must be refused with a message, never replaced.

usage: echo_server_test.py ECHO_SERVER
"""
import os
import random
import selectors
import signal
import socket
import subprocess
import sys

TIMEOUT = 20  # seconds; only a hang comes near it


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def read_line(proc, sel):
    """One stdout line from the server, or fail when it stops talking."""
    line = b""
    while not line.endswith(b"\n"):
        if not sel.select(TIMEOUT):
            fail(f"no output from the server within {TIMEOUT} s (got {line!r})")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            return None
        line += chunk
    return line.decode().strip()


def echo_round_trip(port, payloads):
    conns = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) for _ in payloads]
    for c, p in zip(conns, payloads):
        c.sendall(p)
    for c, p in zip(conns, payloads):
        got = b""
        while len(got) < len(p):
            chunk = c.recv(65536)
            if not chunk:
                fail(f"connection closed after {len(got)} of {len(p)} bytes")
            got += chunk
        if got != p:
            fail("echoed bytes differ from the bytes sent")
        c.close()


def run(exe, backend, sig):
    proc = subprocess.Popen([exe, "--port", "0", "--backend", backend],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    first = read_line(proc, sel)
    if first is None:
        rc = proc.wait(TIMEOUT)
        err = proc.stderr.read().decode().strip()
        if backend == "uring" and rc != 0 and "io_uring" in err:
            print(f"uring: refused as it should be where io_uring cannot run: {err}")
            return False
        fail(f"{backend}: server exited ({rc}) before saying anything: {err}")
    if first != f"backend {'io_uring' if backend == 'uring' else 'epoll'}":
        fail(f"{backend}: first line is {first!r}")
    listening = read_line(proc, sel) or ""
    if not listening.startswith("listening on 127.0.0.1:"):
        fail(f"{backend}: expected 'listening on ADDR', got {listening!r}")
    port = int(listening.rsplit(":", 1)[1])

    rng = random.Random(7)
    echo_round_trip(port, [rng.randbytes(n) for n in (1, 64, 4096, 200_000)])
    idle = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)  # parked in read at stop

    proc.send_signal(sig)
    try:
        rc = proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail(f"{backend}: did not stop within {TIMEOUT} s of {sig.name}")
    rest = proc.stdout.read().decode()
    idle.close()
    if rc != 0:
        fail(f"{backend}: exit status {rc} after {sig.name}: {proc.stderr.read().decode()}")
    if "stopped" not in rest:
        fail(f"{backend}: no 'stopped' line after {sig.name} (got {rest!r})")
    print(f"{backend}: echoed byte-exact on 4 connections, stopped on {sig.name}")
    return True


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    exe = sys.argv[1]
    ran = [run(exe, b, s) for b in ("uring", "epoll") for s in (signal.SIGINT, signal.SIGTERM)]
    if not any(ran):
        fail("no backend ran")


if __name__ == "__main__":
    main()
