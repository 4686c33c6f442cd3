// MultishotAccept: one IORING_ACCEPT_MULTISHOT request per listening fd
// serves every accept op on it (linux 5.19), instead of one SQE per
// connection. Accepted fds that arrive with no op waiting queue here; accept
// ops that find the queue empty park here. Nothing above the backend sees
// the difference: an accept op still completes once, with one fd.
//
// Invariants:
// - At most one multishot request per fd is armed; it is re-armed when an
//   op waits and the kernel ended the previous one (a CQE without F_MORE).
// - The queue is bounded: at `high_water` queued fds the request is
//   cancelled, so a listener nobody accepts from stops taking connections
//   (the kernel backlog applies backpressure again).
// - Every fd that reaches this class is handed to exactly one op or closed:
//   on close of the listener, on a stale CQE, and at backend teardown.
// - The multishot request carries no sockaddr (one buffer cannot serve many
//   CQEs): streams learn their peer lazily with getpeername.
#pragma once

#include <ringo/engine/op.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

struct io_uring;
struct io_uring_sqe;

namespace ringo::detail {

class MultishotAccept {
public:
    static constexpr std::size_t high_water = 64;
    static constexpr int max_fd = 0xff'ffff;  // what fits in a tag; larger fds use single-shot accept

    // user_data tags of our requests: generation 0 (never an op), top bit
    // set, then a 7-bit serial and the fd.
    static bool is_tag(std::uint64_t ud) noexcept { return ud >> 32 == 0 && (ud & 0x8000'0000u); }

    struct Hooks {
        virtual io_uring_sqe* sqe() noexcept = 0;
        virtual void complete(Op& op, int result) noexcept = 0;
    protected:
        ~Hooks() = default;
    };

    explicit MultishotAccept(Hooks& hooks) noexcept : hooks_(hooks) {}
    ~MultishotAccept();

    // Serves an accept op: true when it completed at once (a queued fd).
    bool start(Op& op) noexcept;
    // Unparks op if it waits here; false if it is not ours.
    bool cancel(Op& op) noexcept;
    // The listener fd is being closed: fail its waiters, close queued fds.
    void on_close(int fd) noexcept;
    void on_cqe(std::uint64_t ud, int res, std::uint32_t flags) noexcept;
    // For teardown: cancel every armed request; returns how many are armed.
    std::size_t cancel_all() noexcept;
    std::size_t armed() const noexcept { return armed_count_; }

private:
    struct Stream {
        std::uint8_t serial = 0;
        bool armed = false;
        bool cancel_sent = false;
        std::deque<int> ready;  // accepted fds nobody has taken yet
        Op* waiters_head = nullptr;
        Op* waiters_tail = nullptr;
    };

    Stream* stream(int fd);
    bool arm(int fd, Stream& s) noexcept;  // false: no SQE to be had
    void fail_waiters(Stream& s, int err) noexcept;
    void send_cancel(int fd, Stream& s) noexcept;
    static std::uint64_t tag(int fd, std::uint8_t serial) noexcept {
        return 0x8000'0000u | (std::uint64_t{serial & 0x7fu} << 24) | static_cast<std::uint32_t>(fd);
    }

    Hooks& hooks_;
    std::vector<std::unique_ptr<Stream>> streams_;  // by fd
    std::size_t armed_count_ = 0;
};

}  // namespace ringo::detail
