// PollDesc: what the epoll backend knows about one fd number (Go's pollDesc,
// tokio's ScheduledIo). PollDescTable: the slab of them, indexed by fd.
//
// Invariants the backend keeps (see epoll_backend.cpp for the protocol):
// - An op sits in a waiter queue only while the fd is registered with epoll,
//   so some future edge is certain to look at it.
// - The head of a queue was parked after its syscall said EAGAIN; the ops
//   behind it were parked without a try, to keep their order (bytes of two
//   sends must not swap, nor two readers' turns).
// - seq changes at every close through the backend, and when a new file
//   turns up under a number whose PollDesc is not fresh (its old file was
//   closed with close(2), behind the backend's back). It travels in each
//   epoll_event next to the fd, so an event that names an earlier lifetime
//   of this fd number is dropped instead of waking the new owner's ops.
#pragma once

#include "engine/backend/op_queue.hpp"
#include "engine/backend/op_traits.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace ringo::detail {

class PollDesc {
public:
    enum class Mode : std::uint8_t {
        unknown,   // not seen since its last close
        polled,    // registered with epoll (sockets, pipes, ttys, ...)
        blocking,  // epoll refused it (EPERM: regular files): the blocking pool serves read/write
    };

    OpQueue& waiters(Direction d) noexcept { return waiters_[index(d)]; }

    // The readiness tick of a direction: bumped on every event for it.
    std::uint32_t tick(Direction d) const noexcept { return ticks_[index(d)]; }
    void bump(Direction d) noexcept { ++ticks_[index(d)]; }

    // The direction was seen empty (recv) or full (send) at tick t: an
    // EAGAIN, or a short read of a stream. Until the next event bumps the
    // tick, another syscall would only say EAGAIN again, so an op may park
    // without trying (the fd must be registered, so the next edge is seen).
    //
    // Not after a hang-up or error: a short read can leave an EOF or error
    // behind whose edge was already consumed, and no further edge would come.
    void mark_drained(Direction d, std::uint32_t t) noexcept {
        drained_tick_[index(d)] = t;
        drained_[index(d)] = true;
    }
    bool known_drained(Direction d) const noexcept {
        return drained_[index(d)] && !hung_up_ && drained_tick_[index(d)] == ticks_[index(d)] &&
               mode_ == Mode::polled;
    }
    void mark_hung_up() noexcept { hung_up_ = true; }

    // epoll_event.data.u64 for this fd: the lifetime above, the fd below.
    std::uint64_t token(int fd) const noexcept {
        return (std::uint64_t{seq_} << 32) | static_cast<std::uint32_t>(fd);
    }
    static int token_fd(std::uint64_t token) noexcept { return static_cast<int>(token & 0x7fffffff); }
    bool is_current(std::uint64_t token) const noexcept { return (token >> 32) == seq_; }

    Mode mode() const noexcept { return mode_; }
    void set_mode(Mode m) noexcept { mode_ = m; }

    // Blocking-pool ops on this fd, and a close that waits for them: the fd
    // number must not be freed (and reused) under a read that has yet to run.
    std::uint32_t pool_ops() const noexcept { return pool_ops_; }
    void pool_op_started() noexcept { ++pool_ops_; }
    void pool_op_finished() noexcept { --pool_ops_; }
    Op* pending_close() const noexcept { return pending_close_; }
    void set_pending_close(Op* op) noexcept { pending_close_ = op; }

    // The fd is being closed: start its next lifetime. Waiter queues must be
    // empty by now; ticks run on (only their changes matter).
    void retire() noexcept;

    // As a close through the backend leaves it: nothing registered, nobody
    // waiting. A new file under this number finds anything else stale.
    bool is_fresh() const noexcept {
        return mode_ == Mode::unknown && waiters_[0].empty() && waiters_[1].empty();
    }

private:
    static unsigned index(Direction d) noexcept { return static_cast<unsigned>(d); }

    OpQueue waiters_[2];
    std::uint32_t ticks_[2]{};
    std::uint32_t drained_tick_[2]{};
    bool drained_[2]{};
    bool hung_up_ = false;  // EPOLLRDHUP, EPOLLHUP or EPOLLERR seen in this lifetime
    std::uint32_t seq_ = 0;
    std::uint32_t pool_ops_ = 0;
    Op* pending_close_ = nullptr;
    Mode mode_ = Mode::unknown;
};

// Fixed-size chunks, made on first use, so a PollDesc never moves: the
// backend may hold one while completions run. Only fds the kernel says are
// open get a chunk, so a wild fd number cannot make the table huge.
class PollDescTable {
public:
    // The PollDesc of fd if its chunk exists, else nullptr. Never allocates.
    PollDesc* find(int fd) noexcept {
        if (fd < 0) return nullptr;
        auto c = static_cast<std::size_t>(fd) >> chunk_bits;
        if (c >= chunks_.size() || !chunks_[c]) return nullptr;
        return &chunks_[c][static_cast<std::size_t>(fd) & chunk_mask];
    }

    // The PollDesc of fd, making its chunk if need be; nullptr with err set
    // (EBADF, ENOMEM) when fd is not open or memory is short.
    PollDesc* get(int fd, int& err) noexcept {
        if (PollDesc* pd = find(fd)) return pd;
        return grow(fd, err);
    }

private:
    static constexpr unsigned chunk_bits = 10;
    static constexpr std::size_t chunk_mask = (std::size_t{1} << chunk_bits) - 1;

    PollDesc* grow(int fd, int& err) noexcept;

    std::vector<std::unique_ptr<PollDesc[]>> chunks_;
};

}  // namespace ringo::detail
