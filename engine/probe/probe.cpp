// probe(): runs every part of the probe once per process and keeps the
// report. The parts are independent experiments (probe_parts.hpp); this file
// orders them, adds what needs no experiment (uname, versions, limits) and
// states the io_uring verdict in words.
#include <ringo/engine/probe.hpp>

#include "engine/probe/probe_parts.hpp"

#if RINGO_HAVE_LIBURING_VERSION_H
#include <liburing/io_uring_version.h>
#endif

#include <pthread.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <ctime>
#include <memory>
#include <mutex>

#ifndef RINGO_VERSION
#define RINGO_VERSION "unknown"
#endif
#ifndef RINGO_LIBURING_PKG_VERSION
#define RINGO_LIBURING_PKG_VERSION "unknown"
#endif

namespace ringo {
namespace detail::probe {
namespace {

std::int64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Limit limit_of(int resource) noexcept {
    rlimit rl{};
    if (getrlimit(resource, &rl) != 0) return {};
    auto conv = [](rlim_t v) {
        return v == RLIM_INFINITY ? Limit::unlimited : static_cast<std::uint64_t>(v);
    };
    return {conv(rl.rlim_cur), conv(rl.rlim_max)};
}

void probe_system(ProbeReport& r) {
    utsname u{};
    if (uname(&u) == 0) {
        r.kernel_release = u.release;
        r.machine = u.machine;
    }
    r.ringo_version = RINGO_VERSION;
#if RINGO_HAVE_LIBURING_VERSION_H
    r.liburing_version =
        std::to_string(IO_URING_VERSION_MAJOR) + "." + std::to_string(IO_URING_VERSION_MINOR);
#else
    // liburing 2.3 names its version only in pkg-config, which meson read.
    r.liburing_version = RINGO_LIBURING_PKG_VERSION;
#endif
    r.memlock = limit_of(RLIMIT_MEMLOCK);
    r.nofile = limit_of(RLIMIT_NOFILE);
}

void set(ProbeReport& r, Feature f, FeatureStatus s) {
    r.features[static_cast<std::size_t>(f)] = std::move(s);
}

// io_uring: the engine's ladder, then round trips on a ring like it.
void probe_io_uring(ProbeReport& r) {
    UringReport& u = r.uring;
    long flags = probe_uring_setup(r);
    if (flags < 0) {
        u.reason = explain_setup_error(u.setup_error, r);
        set(r, Feature::io_uring, FeatureStatus{false, u.setup_error, u.reason});
        return;
    }
    u.round_trips = probe_round_trips(static_cast<unsigned>(flags));
    for (const RoundTrip& t : u.round_trips) {
        if (!t.ran || t.ok()) continue;
        // Something between ringo and the kernel refuses ops the kernel has.
        u.reason = "the ring sets up, but " + t.op + " fails with " + errno_name(t.error) +
                   (t.error == ETIME ? " (no completion within a second)" : "") +
                   ": a sandbox (gVisor) or security policy stands between ringo and io_uring";
        set(r, Feature::io_uring, FeatureStatus{false, t.error, u.reason});
        return;
    }
    u.usable = true;
    set(r, Feature::io_uring, supported());
}

void probe_behaviours(ProbeReport& r) {
    const std::pair<Feature, FeatureStatus (*)(unsigned)> tests[] = {
        {Feature::multishot_accept, probe_multishot_accept},
        {Feature::multishot_recv, probe_multishot_recv},
        {Feature::buf_ring, probe_buf_ring},
        {Feature::send_zc, probe_send_zc},
        {Feature::registered_ring_fd, probe_registered_ring_fd},
        {Feature::fixed_files, probe_fixed_files},
        {Feature::msg_ring, probe_msg_ring},
        {Feature::recvsend_bundle, probe_recvsend_bundle},
        {Feature::multishot_recv_limit, probe_multishot_recv_limit},
        {Feature::no_iowait, probe_no_iowait},
    };
    for (const auto& [feature, test] : tests) {
        if (r.uring.ladder.empty() || r.uring.ladder.back().error != 0) {
            set(r, feature, unsupported(r.uring.setup_error, "no io_uring ring can be set up here"));
            continue;
        }
        set(r, feature, test(r.uring.setup_flags));
    }
}

ProbeReport run() {
    const std::int64_t start = now_ns();
    ProbeReport r;
    probe_system(r);
    r.sandbox = probe_sandbox();
    probe_io_uring(r);
    probe_setup_flags(r);
    probe_behaviours(r);
    set(r, Feature::speculative_send, supported());  // send(2) with MSG_DONTWAIT
    r.epoll = probe_epoll();
    set(r, Feature::epoll,
        r.epoll.available ? supported() : unsupported(r.epoll.error, "epoll_create1 refused"));
    set(r, Feature::epoll_pwait2,
        r.epoll.pwait2 ? supported() : unsupported(0, "epoll_pwait2 missing (linux 5.11)"));

    if (auto d = disabled_features(RuntimeOptions{})) r.disabled = *d;
    else r.disabled_error = d.error_info().context();
    r.verdict = decide(r, r.disabled);
    r.duration_ns = now_ns() - start;
    return r;
}

// The process's report. A forked child starts over: its sandbox may not be
// its parent's (a seccomp filter installed after fork), and std::call_once
// state copied mid-call would never finish. The handler runs in the child
// while it has one thread, so resetting the flag races with nobody.
struct ProcessReport {
    std::once_flag once;
    ProbeReport report;
};

ProcessReport& process_report() {
    static ProcessReport state;
    return state;
}

void forget_in_child() noexcept { std::construct_at(&process_report().once); }

}  // namespace
}  // namespace detail::probe

const ProbeReport& probe() {
    using namespace detail::probe;
    static const int atfork = pthread_atfork(nullptr, nullptr, forget_in_child);
    (void)atfork;
    ProcessReport& state = process_report();
    // Assigned in place, so a reference taken before a fork stays valid.
    std::call_once(state.once, [&] { state.report = run(); });
    return state.report;
}

}  // namespace ringo
