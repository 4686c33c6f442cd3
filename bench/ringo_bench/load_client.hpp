// LoadClient: the one load generator every server meets. Raw non-blocking
// sockets and one edge-triggered epoll set on the calling thread; no ringo,
// so it cannot favour either of ringo's backends.
//
// Workload. N connections; each keeps `depth` messages of `size` bytes in
// flight (depth 1 is ping-pong; more is pipelining: the new messages of a
// connection leave in one send). A message is issued when there is room for
// it, its latency runs from then until the last byte of its echo is back,
// and every echoed byte is compared with what was sent (EchoPattern).
//
// Phases. Warm-up (messages flow, nothing is counted), the measured window
// (hooks run at its two edges so the caller can read the server's counters
// there), then drain: nothing new is issued, every message still in flight
// must come back and verify, bounded by a timeout. Throughput counts the
// messages completed inside the window; latency covers every message that
// came back after the window opened, including during the drain.
#pragma once

#include "echo_pattern.hpp"
#include "histogram.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <netinet/in.h>

namespace ringo_bench {

struct LoadShape {
    int connections = 1;
    int size = 64;
    int depth = 1;
};

struct RunPlan {
    std::chrono::nanoseconds warmup{0};
    std::chrono::nanoseconds duration{0};
    std::chrono::nanoseconds drain_timeout = std::chrono::seconds(10);
    // Stop issuing after this many messages per connection (0: no limit).
    // With a limit the run ends once they are all back, or at warm-up +
    // duration, whichever comes first.
    std::uint64_t messages_per_connection = 0;
    std::function<void()> on_window_start, on_window_end;
};

struct LoadResult {
    std::uint64_t messages = 0;        // completed inside the window
    std::uint64_t total_messages = 0;  // completed in the whole run, all verified
    double window_seconds = 0;
    double client_cpu_seconds = 0;     // this thread, inside the window
    double client_wait_seconds = 0;    // runnable but kept off the CPU by others
    // ns, of every message that came back after the window opened, whether
    // inside it or during the drain: a message the server sat on from the
    // warm-up until after the window still counts, at its full latency, so
    // a starved connection cannot hide.
    LatencyHistogram latency;
    std::uint64_t max_latency_ns = 0;
    // Connections that completed no message inside the window.
    std::uint64_t stalled_connections = 0;
    std::string error;                 // empty: every byte came back as sent
};

class LoadClient {
public:
    LoadClient(sockaddr_in target, LoadShape shape);
    ~LoadClient();  // closes every connection
    LoadClient(const LoadClient&) = delete;
    LoadClient& operator=(const LoadClient&) = delete;

    // Opens the connections (TCP_NODELAY, non-blocking). Error text or "".
    std::string connect(std::chrono::nanoseconds timeout = std::chrono::seconds(20));
    // Drives the echo workload; `result` is filled in even on error.
    void run(const RunPlan& plan, LoadResult& result);
    void close_all() noexcept;

private:
    struct Conn;
    void issue(Conn& c, std::int64_t now, const RunPlan& plan) noexcept;
    bool flush(Conn& c, LoadResult& r);
    bool drain_reads(Conn& c, std::int64_t now, bool counting, LoadResult& r);

    // When the window opened (ns, CLOCK_MONOTONIC); 0 before.
    std::int64_t window_start_ = 0;

    sockaddr_in target_;
    LoadShape shape_;
    EchoPattern pattern_;
    int epfd_ = -1;
    std::vector<Conn> conns_;
    std::vector<std::int64_t> issued_at_;  // depth slots per connection, ns
    std::vector<unsigned char> scratch_;
};

}  // namespace ringo_bench
