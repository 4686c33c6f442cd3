// decide(): the facts of a ProbeReport turned into what the engine does.
// The Runtime runs this at creation (never on the hot path); ringo-probe
// prints it. A fast path is used when the backend is io_uring, the probe
// proved it, and nothing disabled it; otherwise the reason says which.
#include <ringo/engine/probe.hpp>

#include "engine/probe/ring_ladder.hpp"

#include <initializer_list>
#include <optional>
#include <string>

namespace ringo {
namespace {

// The first of fs the probe did not prove, if any.
std::optional<Feature> first_missing(const ProbeReport& r, std::initializer_list<Feature> fs) {
    for (Feature f : fs)
        if (!r.status(f).supported) return f;
    return std::nullopt;
}

std::string missing(const ProbeReport& r, Feature f) {
    const std::string& d = r.status(f).detail;
    return std::string("not supported here: ") + feature_name(f) + (d.empty() ? "" : " (" + d + ")");
}

std::string round_trip_names(const UringReport& u) {
    std::string s;
    for (const RoundTrip& t : u.round_trips) {
        if (!t.ok()) continue;
        if (!s.empty()) s += ", ";
        s += t.op;
    }
    return s;
}

}  // namespace

FeatureSet Verdict::used() const noexcept {
    FeatureSet s;
    for (const FastPathChoice& c : fast_paths)
        if (c.used) s.add(c.feature);
    return s;
}

Verdict decide(const ProbeReport& report, FeatureSet disabled) {
    Verdict v;
    if (disabled.has(Feature::io_uring)) {
        v.backend = Backend::epoll;
        v.reason = "io_uring is disabled (RINGO_DISABLE or RuntimeOptions::disable)";
    } else if (!report.uring.usable) {
        v.backend = Backend::epoll;
        v.reason = report.uring.reason;
    } else {
        v.backend = Backend::uring;
        v.reason =
            "the engine's ring sets up here and " + round_trip_names(report.uring) + " round-trip on it";
    }
    if (v.backend == Backend::epoll && !report.epoll.available)
        v.reason += "; epoll is unavailable too, so no runtime can be created here";

    const bool uring = v.backend == Backend::uring;
    // The ring's first ladder step needs all four flags; its second, the
    // cooperative pair with SUBMIT_ALL and CQSIZE.
    const auto defer_gap = first_missing(
        report, {Feature::defer_taskrun, Feature::single_issuer, Feature::submit_all, Feature::cqsize});
    const auto coop_gap = first_missing(
        report, {Feature::coop_taskrun, Feature::taskrun_flag, Feature::submit_all, Feature::cqsize});
    bool defer_used = false;
    // Read-ahead needs the buffer ring, and the byte budget: without it one
    // wakeup of a fast stream's request takes up to 32 buffers, and with a
    // small pool the other streams starve (liburing#1043).
    bool buf_ring_used = false, limit_used = false;
    for (Feature f : {Feature::defer_taskrun, Feature::coop_taskrun, Feature::multishot_accept,
                      Feature::speculative_send, Feature::registered_ring_fd, Feature::buf_ring,
                      Feature::multishot_recv_limit, Feature::multishot_recv, Feature::no_iowait}) {
        FastPathChoice c{f, false, {}};
        if (!uring) c.reason = "the backend is epoll";
        else if (disabled.has(f)) c.reason = "disabled (RINGO_DISABLE or RuntimeOptions)";
        else if (f == Feature::multishot_recv_limit && !buf_ring_used) c.reason = "needs buf_ring, which is not used";
        else if (f == Feature::multishot_recv && !limit_used)
            c.reason = "needs multishot_recv_limit, which is not used (without the byte budget one fast stream "
                       "takes every buffer)";
        else if (f == Feature::defer_taskrun && defer_gap) c.reason = missing(report, *defer_gap);
        else if (f == Feature::coop_taskrun && defer_used) c.reason = "defer_taskrun is used instead";
        else if (f == Feature::coop_taskrun && coop_gap) c.reason = missing(report, *coop_gap);
        else if (!report.status(f).supported) c.reason = missing(report, f);
        else c.used = true;
        if (f == Feature::defer_taskrun) defer_used = c.used;
        if (f == Feature::buf_ring) buf_ring_used = c.used;
        if (f == Feature::multishot_recv_limit) limit_used = c.used;
        v.fast_paths.push_back(std::move(c));
    }

    if (uring) {
        const FeatureSet used = v.used();
        for (unsigned flags : detail::ring_ladder) {
            if (!detail::ring_step_allowed(flags, used.has(Feature::defer_taskrun),
                                           used.has(Feature::coop_taskrun)))
                continue;
            if ((flags & IORING_SETUP_CQSIZE) && !report.status(Feature::cqsize).supported) continue;
            v.setup_flags = flags;
            break;
        }
    }
    return v;
}

}  // namespace ringo
