// Run-time counters of one Runtime. Plain integers updated by the loop's own
// thread; read them from that thread (Runtime::stats() copies them).
#pragma once

#include <ringo/engine/op.hpp>

#include <array>
#include <cstdint>

namespace ringo {

struct Stats {
    std::array<std::uint64_t, op_kind_count> submitted{};  // by OpKind
    std::array<std::uint64_t, op_kind_count> completed{};
    std::uint64_t kernel_entries = 0;   // io_uring_enter or epoll_wait calls, plus inline syscalls
    std::uint64_t inline_syscalls = 0;  // syscalls tried in place (epoll's first try, speculation)
    std::uint64_t loop_turns = 0;
    std::uint64_t tasks_spawned = 0;
    std::uint64_t ops_canceled = 0;     // cancel requests issued
    std::uint64_t ops_inline = 0;       // ops that completed without suspending
    // Times a task had its cooperative budget spent by ops that completed in
    // place, and was sent to the back of the queue instead of running on.
    std::uint64_t coop_yields = 0;
    // Accepts that failed for want of fds and were held for the listener's
    // back-off (5 ms doubling to 1 s) before returning their error.
    std::uint64_t accept_backoffs = 0;
    // Borrowed reads (ReadBufferOptions): times a read found no free buffer
    // and waited for one, and, at the moment stats() was taken, buffers in
    // circulation and lent out.
    std::uint64_t buffer_waits = 0;
    std::uint32_t buffers_circulating = 0;
    std::uint32_t buffers_lent = 0;
    // Read-ahead (io_uring multishot receive): buffers filled for streams
    // whose tasks have not asked yet, at the moment stats() was taken, and
    // requests armed so far (one serves many reads of a stream).
    std::uint32_t buffers_read_ahead = 0;
    std::uint64_t multishot_recv_arms = 0;

    std::uint64_t total_submitted() const noexcept {
        std::uint64_t n = 0;
        for (auto v : submitted) n += v;
        return n;
    }
    std::uint64_t total_completed() const noexcept {
        std::uint64_t n = 0;
        for (auto v : completed) n += v;
        return n;
    }
};

}  // namespace ringo
