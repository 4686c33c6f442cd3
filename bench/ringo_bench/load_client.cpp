#include "load_client.hpp"

#include "proc_stats.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ringo_bench {
namespace {

std::int64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no kernel entry
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// epoll_wait's timeout for a deadline, rounded up to whole ms so the loop
// does not wake just before it and spin.
int wait_ms(std::int64_t deadline, std::int64_t now) noexcept {
    if (deadline <= now) return 0;
    return static_cast<int>(std::min<std::int64_t>((deadline - now + 999'999) / 1'000'000, 1000));
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

CpuTime own_cpu() { return thread_cpu(static_cast<pid_t>(gettid())).value_or(CpuTime{}); }

}  // namespace

struct LoadClient::Conn {
    int fd = -1;
    std::uint64_t base = 0;      // where its stream starts in the pattern
    std::uint64_t issued = 0;    // messages issued
    std::uint64_t done = 0;      // messages whose echo is fully back
    std::uint64_t sent = 0;      // bytes handed to the kernel
    std::uint64_t received = 0;  // bytes echoed back and verified
    std::uint64_t done_in_window = 0;
    bool connected = false;
    // The last send stopped short: the kernel will report room (EPOLLOUT).
    bool write_blocked = false;
};

LoadClient::LoadClient(sockaddr_in target, LoadShape shape)
    : target_(target), shape_(shape), scratch_(256 * 1024) {
    conns_.resize(static_cast<std::size_t>(shape.connections));
    issued_at_.resize(conns_.size() * static_cast<std::size_t>(shape.depth));
    for (std::size_t i = 0; i < conns_.size(); ++i) conns_[i].base = EchoPattern::base(i);
}

LoadClient::~LoadClient() { close_all(); }

void LoadClient::close_all() noexcept {
    for (auto& c : conns_) {
        if (c.fd >= 0) ::close(c.fd);
        c.fd = -1;
    }
    if (epfd_ >= 0) ::close(epfd_);
    epfd_ = -1;
}

std::string LoadClient::connect(std::chrono::nanoseconds timeout) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return errno_text("epoll_create1");
    std::size_t pending = 0;
    for (std::size_t i = 0; i < conns_.size(); ++i) {
        auto& c = conns_[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) return errno_text("socket");
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        // Registered once, edge-triggered, both directions, for the whole run.
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = i;
        if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) return errno_text("epoll_ctl");
        if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&target_), sizeof target_) == 0) {
            c.connected = true;
        } else if (errno == EINPROGRESS) {
            ++pending;
        } else {
            return errno_text("connect");
        }
    }
    const auto deadline = now_ns() + timeout.count();
    std::vector<epoll_event> events(1024);
    while (pending > 0) {
        auto now = now_ns();
        if (now >= deadline)
            return std::to_string(pending) + " of " + std::to_string(conns_.size()) + " connections not up in time";
        int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), wait_ms(deadline, now));
        if (n < 0 && errno != EINTR) return errno_text("epoll_wait");
        for (int k = 0; k < n; ++k) {
            auto& c = conns_[events[static_cast<std::size_t>(k)].data.u64];
            if (c.connected) continue;
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) return std::string("connect: ") + std::strerror(err);
            c.connected = true;
            --pending;
        }
    }
    return {};
}

void LoadClient::issue(Conn& c, std::int64_t now, const RunPlan& plan) noexcept {
    const auto depth = static_cast<std::uint64_t>(shape_.depth);
    auto* slots = issued_at_.data() + (&c - conns_.data()) * depth;
    while (c.issued - c.done < depth && (plan.messages_per_connection == 0 || c.issued < plan.messages_per_connection))
        slots[c.issued++ % depth] = now;
}

bool LoadClient::flush(Conn& c, LoadResult& r) {
    const auto target = c.issued * static_cast<std::uint64_t>(shape_.size);
    while (c.sent < target && !c.write_blocked) {
        auto len = static_cast<std::size_t>(std::min<std::uint64_t>(target - c.sent, EchoPattern::period));
        auto n = ::send(c.fd, pattern_.at(c.base, c.sent), len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                c.write_blocked = true;
                break;
            }
            r.error = errno_text("send");
            return false;
        }
        c.sent += static_cast<std::uint64_t>(n);
        // Short: the socket buffer is full, and the kernel marked it so
        // (SOCK_NOSPACE), so an EPOLLOUT edge will follow; no need to spend
        // a syscall on the EAGAIN.
        if (static_cast<std::size_t>(n) < len) c.write_blocked = true;
    }
    return true;
}

bool LoadClient::drain_reads(Conn& c, std::int64_t now, bool counting, LoadResult& r) {
    const auto size = static_cast<std::uint64_t>(shape_.size);
    const auto depth = static_cast<std::uint64_t>(shape_.depth);
    const auto* slots = issued_at_.data() + (&c - conns_.data()) * depth;
    for (;;) {
        auto n = ::recv(c.fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return true;
            r.error = errno_text("recv");
            return false;
        }
        if (n == 0) {
            r.error = "the server closed a connection";
            return false;
        }
        auto len = static_cast<std::uint64_t>(n);
        if (c.received + len > c.sent) {
            r.error = "the server sent bytes that were never sent to it";
            return false;
        }
        if (!pattern_.matches(c.base, c.received, scratch_.data(), static_cast<std::size_t>(len))) {
            r.error = "an echo differs from what was sent (connection " + std::to_string(&c - conns_.data()) +
                      ", stream offset " + std::to_string(c.received) + ")";
            return false;
        }
        c.received += len;
        while (c.received >= (c.done + 1) * size) {
            auto issued = slots[c.done % depth];
            ++c.done;
            ++r.total_messages;
            if (counting) {
                ++r.messages;
                ++c.done_in_window;
            }
            if (window_start_ != 0) {
                auto ns = static_cast<std::uint64_t>(now - issued);
                r.latency.record(ns);
                if (ns > r.max_latency_ns) r.max_latency_ns = ns;
            }
        }
        // A short read emptied the socket. Edge-triggered epoll reports any
        // byte that arrives after it, so the EAGAIN read can be skipped.
        if (len < scratch_.size()) return true;
    }
}

void LoadClient::run(const RunPlan& plan, LoadResult& r) {
    enum class Phase { warmup, window, drain };
    const auto t0 = now_ns();
    const auto warm_end = t0 + plan.warmup.count();
    std::int64_t window_end = warm_end + plan.duration.count();
    std::int64_t window_start = 0, drain_end = 0;
    CpuTime cpu_at_start;
    Phase phase = Phase::warmup;

    auto start_window = [&](std::int64_t) {
        if (plan.on_window_start) plan.on_window_start();
        cpu_at_start = own_cpu();
        window_start_ = window_start = now_ns();
        window_end = window_start + plan.duration.count();
        phase = Phase::window;
    };
    auto end_window = [&](std::int64_t now) {
        for (auto& c : conns_) r.stalled_connections += c.done_in_window == 0;
        r.window_seconds = static_cast<double>(now - window_start) / 1e9;
        auto cpu = own_cpu();
        r.client_cpu_seconds = static_cast<double>(cpu.ns - cpu_at_start.ns) / 1e9;
        r.client_wait_seconds = static_cast<double>(cpu.wait_ns - cpu_at_start.wait_ns) / 1e9;
        if (plan.on_window_end) plan.on_window_end();
        drain_end = now_ns() + plan.drain_timeout.count();
        phase = Phase::drain;
    };
    auto all_back = [&] {
        return std::all_of(conns_.begin(), conns_.end(), [](const Conn& c) { return c.done == c.issued; });
    };

    window_start_ = 0;
    for (auto& c : conns_) c.done_in_window = 0;
    if (plan.warmup.count() == 0) start_window(t0);
    for (auto& c : conns_) {
        issue(c, t0, plan);
        if (!flush(c, r)) return;
    }
    std::vector<epoll_event> events(1024);
    for (;;) {
        auto now = now_ns();
        if (phase == Phase::warmup && now >= warm_end) start_window(now);
        if (phase == Phase::window && now >= window_end) end_window(now);
        if (phase == Phase::window && plan.messages_per_connection > 0 && all_back()) end_window(now);
        if (phase == Phase::drain) {
            if (all_back()) return;
            if (now >= drain_end) {
                std::uint64_t missing = 0;
                for (auto& c : conns_) missing += c.issued - c.done;
                r.error = std::to_string(missing) + " messages still unanswered " +
                          std::to_string(plan.drain_timeout.count() / 1'000'000) + " ms after the window";
                return;
            }
        }
        auto deadline = phase == Phase::warmup ? warm_end : phase == Phase::window ? window_end : drain_end;
        int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), wait_ms(deadline, now));
        if (n < 0) {
            if (errno == EINTR) continue;
            r.error = errno_text("epoll_wait");
            return;
        }
        for (int k = 0; k < n; ++k) {
            const auto& ev = events[static_cast<std::size_t>(k)];
            auto& c = conns_[ev.data.u64];
            auto t = now_ns();
            if (ev.events & EPOLLOUT) c.write_blocked = false;
            if ((ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
                !drain_reads(c, t, phase == Phase::window, r))
                return;
            if (phase != Phase::drain) issue(c, t, plan);
            if (!flush(c, r)) return;
        }
    }
}

}  // namespace ringo_bench
