#!/usr/bin/env bash
# Profiles one echo server in one cell: where its CPU goes (perf, sampling
# on the cpu-clock software event, which works inside VMs without hardware
# counters) and which syscalls it makes (counted by the kernel's own
# tracepoints, so ringo's self-reported kernel entries can be checked).
#
# Usage: bench/profile.sh BUILD_DIR SERVER CONNS SIZE DEPTH [SECONDS] [OUT_DIR]
#   SERVER  ringo-uring | ringo-epoll | raw-uring | raw-epoll
# Example: bench/profile.sh build-release ringo-uring 1000 64 16 5
# Needs perf (Debian: linux-perf) and root, or perf_event_paranoid <= 1.
# Leaves perf.data and the reports in OUT_DIR (default: a new /tmp dir).
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR SERVER CONNS SIZE DEPTH [SECONDS] [OUT_DIR]}
server=${2:?server} conns=${3:?conns} size=${4:?size} depth=${5:?depth}
seconds=${6:-5}
out=${7:-$(mktemp -d /tmp/ringo-profile.XXXXXX)}
mkdir -p "$out"

case $server in
ringo-uring) cmd=("$build/bench/ringo-echo-server" --backend uring) ;;
ringo-epoll) cmd=("$build/bench/ringo-echo-server" --backend epoll) ;;
raw-uring) cmd=("$build/bench/baselines/uring-echo") ;;
raw-epoll) cmd=("$build/bench/baselines/epoll-echo") ;;
*) echo "unknown server $server" >&2; exit 2 ;;
esac

ulimit -n "$(ulimit -Hn)"
# The server on cpu 0, the load on cpu 1, as ringo-bench runs them.
taskset -c 0 "${cmd[@]}" --port 0 --stats "$out/stats" >"$out/server.out" 2>"$out/server.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q '^listening on' "$out/server.out" 2>/dev/null && break
    sleep 0.05
done
port=$(sed -n 's/^listening on 127.0.0.1://p' "$out/server.out")
[[ -n $port ]] || { echo "server did not start: $(cat "$out/server.err")" >&2; exit 1; }

syscalls=(raw_syscalls:sys_enter)
for s in io_uring_enter sendto recvfrom epoll_wait epoll_pwait epoll_pwait2 epoll_ctl read write close \
    accept4 setsockopt getsockname getpeername; do
    [[ -d /sys/kernel/tracing/events/syscalls/sys_enter_$s ]] && syscalls+=("syscalls:sys_enter_$s")
done
events=$(IFS=,; echo "${syscalls[*]}")

# Warm-up first, then sample the steady state only: perf starts after it.
"$build/bench/ringo-bench" --target "127.0.0.1:$port" --target-pid "$pid" --client-cpu 1 \
    --conns "$conns" --size "$size" --depth "$depth" --warmup 1s --duration "${seconds}s" --rounds 1 \
    >"$out/bench.txt" 2>&1 &
bench=$!
sleep 1
perf record -e cpu-clock -F 2999 -g -p "$pid" -o "$out/perf.data" -- sleep "$((seconds - 1))" \
    >"$out/record.log" 2>&1 &
rec=$!
perf stat -e "$events" -p "$pid" -o "$out/syscalls.txt" -- sleep "$((seconds - 1))" >/dev/null 2>&1 &
stat=$!
wait $bench $rec $stat || true
kill -TERM $pid
wait $pid || true
trap - EXIT

perf report -i "$out/perf.data" --stdio --no-children -g none --sort dso,symbol --percent-limit 0.7 \
    >"$out/report.txt" 2>/dev/null || true
perf report -i "$out/perf.data" --stdio --no-children -g none --sort dso --percent-limit 0.5 \
    >"$out/report-dso.txt" 2>/dev/null || true
echo "== $server, $conns connections, $size B, depth $depth ($out)"
grep -E '^ +[0-9]' "$out/bench.txt" | head -3
echo "-- syscalls in $((seconds - 1)) s (kernel tracepoints):"
grep -E 'sys_enter' "$out/syscalls.txt" | awk '$1 != "0" && $1 != "<not"' || true
echo "-- CPU by object:"
grep -E '^ +[0-9]' "$out/report-dso.txt" | head -8
echo "-- top symbols (self):"
grep -E '^ +[0-9]' "$out/report.txt" | head -25
