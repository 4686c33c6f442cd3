// The engine's io_uring setup ladder, shared by UringBackend (which sets up
// its ring with it) and the probe (which tries the same steps), so what
// ringo-probe reports is the ring the engine gets. Richest flags first; a
// step down only on EINVAL, as any other error means "no io_uring here".
#pragma once

#include <liburing.h>

#include <array>

namespace ringo::detail {

// SUBMIT_ALL (linux 5.18): one bad SQE does not strand the rest of a batch.
// CQSIZE (5.5): the CQ holds ring_cq_factor x the SQ, since many ops stay in
// flight beyond one batch (every idle connection's recv) and overflow is slow.
inline constexpr unsigned ring_base_flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
inline constexpr unsigned ring_cq_factor = 4;

inline constexpr std::array<unsigned, 4> ring_ladder{
    // defer_taskrun: completions run only when the loop waits (linux 6.1).
    ring_base_flags | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
    // coop_taskrun: no IPI to post completions (linux 5.19).
    ring_base_flags | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
    IORING_SETUP_CQSIZE,
    0,
};

// Whether a runtime may try a step, given the fast paths it is allowed.
inline bool ring_step_allowed(unsigned flags, bool defer_taskrun, bool coop_taskrun) noexcept {
    if ((flags & IORING_SETUP_DEFER_TASKRUN) && !defer_taskrun) return false;
    if ((flags & IORING_SETUP_COOP_TASKRUN) && !coop_taskrun) return false;
    return true;
}

}  // namespace ringo::detail
