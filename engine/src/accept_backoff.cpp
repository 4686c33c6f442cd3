#include "engine/src/core.hpp"

#include <algorithm>
#include <cerrno>

namespace ringo::detail {
namespace {

// Accept back-off for want of fds (Go's accept loop: 5 ms doubling to 1 s).
constexpr std::int64_t accept_backoff_first_ns = 5'000'000;
constexpr std::int64_t accept_backoff_max_ns = 1'000'000'000;
constexpr std::uint8_t accept_backoff_max_level = 8;  // 5 ms << 8 > 1 s

bool is_fd_exhaustion(int result) noexcept {
    return result == -EMFILE || result == -ENFILE || result == -ENOBUFS || result == -ENOMEM;
}

}  // namespace

// --- accept back-off -------------------------------------------------------
//
// An accept that fails for want of fds would fail again at once: a loop
// that reports it and accepts again would spin, and multishot accept would
// keep taking fds the program cannot use. So the failure is held here, in
// flight and cancellable, for the listener's back-off (5 ms, doubling per
// consecutive failure, at most 1 s), and only then returned: the program
// sees one error per back-off and retries when fds may be back. A success
// resets the listener's level.

bool Core::hold_for_backoff(Op& op, int result) noexcept {
    const auto i = static_cast<std::size_t>(op.fd);
    if (op.fd < 0) return false;
    if (result >= 0) {
        if (i < backoff_level_.size()) backoff_level_[i] = 0;
        return false;
    }
    if (!is_fd_exhaustion(result) || op.state != OpState::in_flight || op.cancel_reason != CancelReason::none)
        return false;
    if (i >= backoff_level_.size()) {
        try {
            backoff_level_.resize(std::max<std::size_t>(i + 1, backoff_level_.size() * 2));
        } catch (...) {
            return false;  // no memory for the level: fail at once
        }
    }
    const std::uint8_t level = backoff_level_[i];
    if (level < accept_backoff_max_level) backoff_level_[i] = level + 1;
    const std::int64_t delay = std::min(accept_backoff_first_ns << level, accept_backoff_max_ns);
    const std::int64_t until = now_ns() + delay;
    // The op's own deadline, if sooner, still ends the wait (with the error).
    op.deadline_ns = op.deadline_ns != 0 ? std::min(op.deadline_ns, until) : until;
    op.result = result;
    op.state = OpState::backing_off;
    backing_off_.push(op);
    ++stats_.accept_backoffs;
    return true;
}

bool Core::arm_backoff_timer(Op& op) noexcept {
    try {
        timers_.push(&op);
        return true;
    } catch (...) {
        unlink_backoff(op);
        return false;
    }
}

// Leaves the state backing_off: finish() sees it and returns the held
// error instead of holding it again.
void Core::unlink_backoff(Op& op) noexcept { backing_off_.remove(op); }

}  // namespace ringo::detail
