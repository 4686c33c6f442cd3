#!/usr/bin/env python3
"""Runs examples/echo_server against hostile peers, once per backend, and
prints the figures docs/reliability.md quotes:

1. slowloris: 200 connections that each send a byte every 300 ms; a normal
   client's 1-byte round trips stay fast, and every trickled byte comes back.
2. RST storm: 500 connections that connect, send 100 bytes and reset
   (SO_LINGER 0); the server stays up and echoes the next client at once.
3. firehose: one connection that sends flat out and reads as fast as it can,
   so the server's socket always holds data; beside it a latency client's
   1-byte round trips: p50 and p99, and how many completed.
4. fd flood: the server under RLIMIT_NOFILE 64, 200 connections held at
   once: the accept fails with EMFILE, and the server must log that once
   per back-off (not per attempt), stay nearly idle, keep serving the
   connections it holds, recover within a couple of seconds once the flood
   goes, and exit 0 on SIGTERM.

Every part runs and prints its figures even when an earlier one failed; the
exit status is 1 if any check failed. A backend this machine cannot run
(io_uring forbidden) is reported and skipped, never replaced.

usage: echo_hostile_test.py [--long] [--backend uring|epoll] ECHO_SERVER
"""
import argparse
import multiprocessing
import os
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

TIMEOUT = 20  # seconds; only a hang comes near it
P99_LIMIT_MS = 50.0  # the engine aims at a few ms; the rest is margin for a noisy 2-core box
FLOOD_NOFILE = 64
FLOOD_LOG_LIMIT = 50  # lines in the flood interval: once per back-off, not per attempt
FLOOD_CPU_LIMIT = 30.0  # % of one core over the flood interval
RECOVERY_LIMIT = 3.0  # seconds from the flood's end to the first echoed client
STOP_LIMIT = 5.0  # seconds from SIGTERM to exit


class Checks:
    """Collects failed checks, so every part runs and prints its figures."""

    def __init__(self):
        self.failed = []

    def check(self, ok, what):
        if not ok:
            self.failed.append(what)
            print(f"  FAIL: {what}", flush=True)
        return ok


class Server:
    """examples/echo_server on one backend, its stderr drained and counted
    by a thread (a full pipe would stall a server that logs too much)."""

    def __init__(self, exe, backend, nofile=None):
        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen([exe, "--port", "0", "--backend", backend],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=limit)
        self.lines = 0
        self.first_lines = []
        self.refused = None
        self._drain = threading.Thread(target=self._count_stderr, daemon=True)
        self._drain.start()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        first = self._line(sel)
        if first is None:
            self.proc.wait(TIMEOUT)
            self._drain.join(TIMEOUT)
            self.refused = " / ".join(self.first_lines) or f"exit {self.proc.returncode}"
            return
        listening = self._line(sel) or ""
        if not listening.startswith("listening on 127.0.0.1:"):
            raise RuntimeError(f"{backend}: expected 'listening on ADDR', got {listening!r}")
        self.backend_line = first
        self.port = int(listening.rsplit(":", 1)[1])

    def _line(self, sel):
        line = b""
        while not line.endswith(b"\n"):
            if not sel.select(TIMEOUT):
                raise RuntimeError(f"no output from the server within {TIMEOUT} s (got {line!r})")
            chunk = os.read(self.proc.stdout.fileno(), 1)
            if not chunk:
                return None
            line += chunk
        return line.decode().strip()

    def _count_stderr(self):
        for raw in self.proc.stderr:
            self.lines += 1
            if len(self.first_lines) < 3:
                self.first_lines.append(raw.decode(errors="replace").strip())

    def cpu_seconds(self):
        """utime + stime of the whole process, from /proc/PID/stat."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM; returns (exit status or None if it hung, seconds taken)."""
        if not self.alive():
            return self.proc.returncode, 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(STOP_LIMIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        took = time.monotonic() - t0
        self._drain.join(TIMEOUT)
        return rc, took


def connect(port, timeout=TIMEOUT):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise ConnectionError(f"EOF after {len(got)} of {n} bytes")
        got += chunk
    return got


def echo_once(port, payload=b"hello, hostile world", timeout=2.0):
    """True if a new client's bytes come back exactly within timeout."""
    try:
        with connect(port, timeout) as s:
            s.sendall(payload)
            return recv_exact(s, len(payload)) == payload
    except OSError:
        return False


def ping_pong(port, seconds, timeout=1.0):
    """1-byte round trips for `seconds`: (sorted latencies in ms, timed out).
    A round trip that takes longer than timeout ends the run (the echo it
    waits for would come back out of step)."""
    rtts = []
    with connect(port) as s:
        s.settimeout(timeout)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                s.sendall(b"p")
                if recv_exact(s, 1) != b"p":
                    raise ConnectionError("wrong byte echoed")
            except (socket.timeout, OSError):
                rtts.append(timeout * 1000.0)
                return sorted(rtts), True
            rtts.append((time.perf_counter() - t0) * 1000.0)
    return sorted(rtts), False


def percentile(sorted_ms, q):
    if not sorted_ms:
        return float("inf")
    return sorted_ms[min(len(sorted_ms) - 1, int(q * (len(sorted_ms) - 1) + 0.5))]


def latency_checks(checks, name, rtts, timed_out, seconds, min_trips):
    p50, p99 = percentile(rtts, 0.50), percentile(rtts, 0.99)
    print(f"  {name}: {len(rtts)} round trips in {seconds:.0f} s, p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
          f"max {rtts[-1] if rtts else float('inf'):.3f} ms", flush=True)
    checks.check(not timed_out, f"{name}: a round trip took over a second")
    checks.check(len(rtts) >= min_trips, f"{name}: {len(rtts)} round trips, expected at least {min_trips}")
    checks.check(p99 < P99_LIMIT_MS, f"{name}: p99 {p99:.3f} ms, limit {P99_LIMIT_MS} ms")


# The peers that must not share the latency client's interpreter (its GIL
# would add their work to the latencies measured) run in child processes.

def slowloris_peer(port, conns, interval, seconds, results):
    socks = [connect(port) for _ in range(conns)]
    results.put("connected")
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for s in socks:
            s.sendall(b"s")
        sent += 1
        time.sleep(interval)
    # Every trickled byte comes back, on every connection.
    complete = 0
    for s in socks:
        try:
            s.settimeout(5)
            if recv_exact(s, sent) == b"s" * sent:
                complete += 1
        except OSError:
            pass
        s.close()
    results.put((sent, complete))


def firehose_peer(port, counter):
    s = connect(port)
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                n = len(s.recv(1 << 16))
            except OSError:
                return
            if n == 0:
                return
            with counter.get_lock():
                counter.value += n

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    chunk = os.urandom(1 << 16)
    try:
        while True:
            s.sendall(chunk)
    except OSError:
        pass


def part_slowloris(checks, srv, long_run):
    print("slowloris:", flush=True)
    conns, interval, seconds = (1000, 0.3, 20.0) if long_run else (200, 0.3, 2.0)
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    peer = ctx.Process(target=slowloris_peer, args=(srv.port, conns, interval, seconds, results))
    peer.start()
    results.get(timeout=TIMEOUT)  # all connections are open before the clock starts
    rtts, timed_out = ping_pong(srv.port, seconds)
    try:
        sent, complete = results.get(timeout=TIMEOUT)
    except Exception:
        sent, complete = 0, 0
    peer.join(TIMEOUT)
    print(f"  {conns} connections trickled {sent} bytes each; {complete} got every byte back", flush=True)
    latency_checks(checks, "latency beside slowloris", rtts, timed_out, seconds, int(100 * seconds))
    checks.check(sent > 0 and complete == conns, f"slowloris: {complete} of {conns} connections got their bytes back")
    checks.check(srv.alive(), "slowloris: the server died")


def part_rst_storm(checks, srv, long_run):
    print("RST storm:", flush=True)
    total, batch = (5000, 100) if long_run else (500, 50)
    t0 = time.monotonic()
    errors = 0
    for _ in range(total // batch):
        socks = []
        for _ in range(batch):
            try:
                s = connect(srv.port, 5)
                s.sendall(b"r" * 100)
                socks.append(s)
            except OSError:
                errors += 1
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
    took = time.monotonic() - t0
    t1 = time.monotonic()
    served = echo_once(srv.port)
    after = time.monotonic() - t1
    print(f"  {total} resets in {took:.2f} s ({errors} connects failed); next client echoed: {served}, "
          f"in {after * 1000:.1f} ms; stderr lines so far {srv.lines}", flush=True)
    checks.check(srv.alive(), "RST storm: the server died")
    checks.check(errors == 0, f"RST storm: {errors} connects failed")
    checks.check(served, "RST storm: the next client was not echoed within 2 s")


def part_firehose(checks, srv, long_run):
    print("firehose:", flush=True)
    seconds = 20.0 if long_run else 3.0
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("Q", 0)
    hose = ctx.Process(target=firehose_peer, args=(srv.port, counter))
    hose.start()
    # The hose is flowing before the latency client starts.
    limit = time.monotonic() + 5
    while counter.value == 0 and time.monotonic() < limit:
        time.sleep(0.01)
    start_bytes = counter.value
    rtts, timed_out = ping_pong(srv.port, seconds)
    moved = counter.value - start_bytes
    hose.kill()
    hose.join(TIMEOUT)
    print(f"  the firehose got {moved / seconds / 1e6:.0f} MB/s echoed meanwhile", flush=True)
    latency_checks(checks, "latency beside the firehose", rtts, timed_out, seconds, int(100 * seconds))
    checks.check(moved > 0, "firehose: no byte came back to the firehose")
    checks.check(srv.alive(), "firehose: the server died")


def part_fd_flood(checks, exe, backend, long_run):
    print(f"fd flood (RLIMIT_NOFILE {FLOOD_NOFILE}):", flush=True)
    conns, hold = (1000, 10.0) if long_run else (200, 2.0)
    srv = Server(exe, backend, nofile=FLOOD_NOFILE)
    if srv.refused:
        checks.check(False, f"fd flood: the server did not start: {srv.refused}")
        return
    flood = []
    try:
        for _ in range(conns):
            flood.append(connect(srv.port, 5))  # the kernel completes the handshake; accept may not follow
    except OSError as e:
        checks.check(False, f"fd flood: connect {len(flood) + 1} failed: {e}")
    # The interval starts once every connection is queued: from here the
    # accept sits at EMFILE with a full queue behind it.
    lines0, cpu0, t0 = srv.lines, srv.cpu_seconds(), time.monotonic()
    # The loop still turns: a connection it holds is served meanwhile.
    held_ok = False
    try:
        flood[0].settimeout(2)
        flood[0].sendall(b"h")
        held_ok = recv_exact(flood[0], 1) == b"h"
    except OSError:
        pass
    time.sleep(max(0.0, hold - (time.monotonic() - t0)))
    lines = srv.lines - lines0
    elapsed = time.monotonic() - t0
    cpu = 100.0 * (srv.cpu_seconds() - cpu0) / elapsed if srv.alive() else float("nan")
    for s in flood:
        s.close()
    t1 = time.monotonic()
    recovered = None
    while time.monotonic() - t1 < RECOVERY_LIMIT + 2 and srv.alive():
        if echo_once(srv.port, timeout=0.5):
            recovered = time.monotonic() - t1
            break
    rc, stop_took = srv.stop()
    print(f"  {len(flood)} connections held {elapsed:.1f} s: {lines} stderr lines "
          f"({srv.first_lines[0] if srv.first_lines else 'none'!r}), CPU {cpu:.1f}% of a core, "
          f"a held connection echoed: {held_ok}", flush=True)
    print(f"  recovery: {'none' if recovered is None else f'{recovered * 1000:.0f} ms'}; "
          f"SIGTERM: exit {rc} in {stop_took:.2f} s; stderr lines in all {srv.lines}", flush=True)
    checks.check(lines <= FLOOD_LOG_LIMIT, f"fd flood: {lines} log lines in {elapsed:.1f} s, limit {FLOOD_LOG_LIMIT}")
    checks.check(cpu < FLOOD_CPU_LIMIT, f"fd flood: CPU {cpu:.1f}% of a core, limit {FLOOD_CPU_LIMIT}%")
    checks.check(held_ok, "fd flood: a connection already accepted was not echoed within 2 s")
    checks.check(recovered is not None and recovered < RECOVERY_LIMIT,
                 f"fd flood: no new client echoed within {RECOVERY_LIMIT} s of the flood's end")
    checks.check(rc == 0, f"fd flood: exit status {rc} after SIGTERM (None: still running after {STOP_LIMIT} s)")


def run_backend(checks, exe, backend, long_run):
    srv = Server(exe, backend)
    if srv.refused:
        if backend == "uring" and "io_uring" in srv.refused:
            print(f"uring: refused as it should be where io_uring cannot run: {srv.refused}")
            return False
        checks.check(False, f"{backend}: the server did not start: {srv.refused}")
        return False
    print(f"== {srv.backend_line}, port {srv.port}", flush=True)
    for part in (part_slowloris, part_rst_storm, part_firehose):
        if not srv.alive():
            checks.check(False, f"{part.__name__}: not run, the server is gone")
            continue
        try:
            part(checks, srv, long_run)
        except Exception as e:  # a hung or dead server must not hide the other parts' figures
            checks.check(False, f"{part.__name__}: {type(e).__name__}: {e}")
    rc, took = srv.stop()
    print(f"  SIGTERM after parts 1-3: exit {rc} in {took:.2f} s; stderr lines {srv.lines}", flush=True)
    checks.check(rc == 0, f"{backend}: exit status {rc} after SIGTERM")
    try:
        part_fd_flood(checks, exe, backend, long_run)
    except Exception as e:
        checks.check(False, f"fd flood: {type(e).__name__}: {e}")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("exe")
    ap.add_argument("--long", action="store_true", help="longer and larger runs (minutes)")
    ap.add_argument("--backend", choices=("uring", "epoll"), help="only this backend")
    args = ap.parse_args()
    # This process holds the flood and slowloris connections.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    checks = Checks()
    t0 = time.monotonic()
    backends = [args.backend] if args.backend else ["uring", "epoll"]
    ran = [run_backend(checks, args.exe, b, args.long) for b in backends]
    print(f"took {time.monotonic() - t0:.1f} s", flush=True)
    if not any(ran):
        checks.check(False, "no backend ran")
    if checks.failed:
        print(f"{len(checks.failed)} check(s) failed:")
        for f in checks.failed:
            print(f"  {f}")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
