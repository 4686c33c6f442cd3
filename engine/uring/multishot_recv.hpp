// MultishotRecv: read-ahead for stream sockets on io_uring. One
// IORING_RECV_MULTISHOT request per stream fd (linux 6.0) takes buffers from
// the provided-buffer ring whenever data arrives, instead of one recv SQE
// per read. Deliveries that arrive with no read waiting queue here, in
// arrival order; reads that find the queue empty wait here. Nothing above
// the backend sees the difference: a read still completes once, with one
// buffer (recv_pooled) or with bytes copied into its own (a plain recv on a
// stream that has read-ahead going, so the two kinds never reorder data).
//
// Invariants:
// - At most one request per fd is armed; it is armed by a read that finds
//   nothing queued, never by the arrival of data (an idle stream that
//   nobody reads holds no buffer beyond what is queued).
// - Each request carries a byte budget of read_ahead buffers (linux 6.17,
//   sqe->optlen): the kernel ends it on its own after that much, so one
//   fast sender cannot take every buffer of the ring (without the budget a
//   single wakeup takes up to 32; the verdict then keeps read-ahead off).
//   Small deliveries are bounded too: at read_ahead queued the request is
//   cancelled.
// - Every buffer that reaches this class goes to exactly one read or back
//   to the backend: on close of the fd, on its reuse, on a stale CQE, and
//   at teardown. Queued buffers count as held in the BufPool's books.
// - A delivery is matched to the life of its fd by a serial in its
//   user_data; a close or a reused number starts a new life.
// - EOF and errors queue behind the data that came before them.
#pragma once

#include "engine/backend/buf_pool.hpp"
#include "engine/backend/op_queue.hpp"

#include <ringo/engine/op.hpp>

#include <cstdint>
#include <vector>

struct io_uring_sqe;

namespace ringo::detail {

class MultishotRecv {
public:
    static constexpr int max_fd = 0xff'ffff;  // what fits in a tag; larger fds read one shot at a time

    // user_data tags: the low word has bit 30 set (bit 31 is multishot
    // accept's) and the fd; the high word is the fd's serial. An op's
    // user_data has its slab index in the low word, far below bit 30.
    static bool is_tag(std::uint64_t ud) noexcept { return (ud & 0xc000'0000u) == 0x4000'0000u; }

    struct Hooks {
        virtual io_uring_sqe* sqe() noexcept = 0;
        // A read that waited here is done: op.result (and op.buf_id) set.
        virtual void finished(Op& op) noexcept = 0;
        // A buffer that reached us goes back to the kernel's ring.
        virtual void give_back(std::uint32_t bid) noexcept = 0;
        // A plain recv that waited here goes to the kernel on its own (the
        // ring ran out of buffers, and it brings its own).
        virtual void resubmit(Op& op) noexcept = 0;
    protected:
        ~Hooks() = default;
    };

    // group: the provided-buffer ring's group id. arms: counts the
    // requests armed.
    MultishotRecv(Hooks& hooks, BufPool& pool, int group, std::uint32_t read_ahead, std::uint64_t& arms) noexcept
        : hooks_(hooks), pool_(pool), group_(group), read_ahead_(read_ahead ? read_ahead : 1), arms_(arms) {}

    // Sizes the per-buffer links for the pool's capacity: 0 or ENOMEM (then
    // the backend reads one shot at a time).
    int init() noexcept;

    // Does a read on fd go through here? recv_pooled reads of stream
    // sockets always do; a plain recv only while read-ahead is going on
    // its fd (else it is cheaper as a plain request).
    bool takes(const Op& op) const noexcept;
    // start(op) would complete at once from what is queued.
    bool holds_data_for(const Op& op) const noexcept {
        const Stream* s = takes(op) ? find(op.fd) : nullptr;
        return s && s->waiters.empty() && (s->queued > 0 || s->end <= 0);
    }

    // Serves a read: true when it completed at once (queued data or end),
    // with op.result set; false when it waits here. -ENOMEM, -EBUSY when
    // no state or no SQE could be had.
    bool start(Op& op) noexcept;
    // Unparks op if it waits here (completing it with -ECANCELED); false
    // if it is not ours.
    bool cancel(Op& op) noexcept;
    // fd is being closed through the ring (whose cancel-by-fd ends the
    // request), or its number now names another file: fail the waiters,
    // give the queued buffers back, start a new life of the number.
    void on_close(int fd) noexcept;
    void on_new_file(int fd) noexcept;
    void on_cqe(std::uint64_t ud, int res, std::uint32_t flags) noexcept;
    // For teardown: cancel every armed request; returns how many are armed.
    std::size_t cancel_all() noexcept;
    std::size_t armed() const noexcept { return armed_count_; }

private:
    static constexpr std::uint16_t none = UINT16_MAX;  // buffer ids are below BufPool::max_count
    static_assert(BufPool::max_count <= none);
    static constexpr std::int16_t no_end = 1;  // any positive value: no end queued

    // One per fd number ever read with read-ahead: 40 bytes, as it counts
    // against the memory of every idle connection.
    struct Stream {
        std::uint32_t serial = 0;
        std::uint32_t head_off = 0;  // bytes of the head a plain recv already took
        std::uint16_t head = none;   // queued buffers, linked through next_
        std::uint16_t tail = none;
        std::uint16_t queued = 0;
        std::int16_t end = no_end;   // EOF (0) or -errno, delivered after the queue
        bool armed = false;
        bool cancel_sent = false;
        OpQueue waiters;
        bool active() const noexcept { return armed || queued > 0 || end <= 0 || !waiters.empty(); }
    };

    Stream* find(int fd) noexcept {
        return fd >= 0 && static_cast<std::size_t>(fd) < streams_.size() ? &streams_[fd] : nullptr;
    }
    const Stream* find(int fd) const noexcept {
        return fd >= 0 && static_cast<std::size_t>(fd) < streams_.size() ? &streams_[fd] : nullptr;
    }
    Stream* stream(int fd) noexcept;  // grows the table; nullptr on ENOMEM
    bool arm(int fd, Stream& s) noexcept;
    void send_cancel(int fd, Stream& s) noexcept;
    bool take(Stream& s, Op& op) noexcept;  // from the queue or the end
    void serve(int fd, Stream& s) noexcept;  // waiters from the queue, then re-arm if they still wait
    void push(Stream& s, std::uint32_t bid, std::int32_t len) noexcept;
    std::uint32_t pop(Stream& s) noexcept;
    void fail_waiters(Stream& s, int err) noexcept;
    void reset(Stream& s) noexcept;
    static std::uint64_t tag(int fd, std::uint32_t serial) noexcept {
        return (std::uint64_t{serial} << 32) | 0x4000'0000u | static_cast<std::uint32_t>(fd);
    }

    Hooks& hooks_;
    BufPool& pool_;
    const int group_;
    const std::uint32_t read_ahead_;
    std::uint64_t& arms_;
    std::vector<Stream> streams_;          // by fd
    std::vector<std::uint16_t> next_;      // by buffer id: the next queued buffer of its stream
    std::vector<std::int32_t> length_;     // by buffer id: bytes the kernel put there
    std::size_t armed_count_ = 0;
};

}  // namespace ringo::detail
