// The operation descriptor: the one interface between what a program asks for
// (net/, user code) and the backend that carries it out. It is a plain struct,
// not a class hierarchy: the io_uring backend turns it into a ring entry, the
// epoll backend into "try the syscall now, else park until the fd is ready in
// this direction", and the runtime itself serves the kinds that never reach the
// kernel (timeout, wait).
//
// Ownership: an Op lives in a slot of the runtime's slab (OpPool), never in a
// coroutine frame. From start until its final completion the slot, and every
// piece of memory the kernel may touch that lives inside it (the sockaddr of
// an accept or connect, in its awaiter), belong to the engine. See
// docs/architecture.md.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>

#include <sys/socket.h>

namespace ringo {

enum class OpKind : std::uint8_t {
    nop,       // round trip through the backend, nothing else
    accept,    // fd = listener; addr receives the peer; result = new fd
    connect,   // fd = socket; addr holds the destination
    recv,      // fd, buf, len, msg_flags; result = bytes (0 = EOF)
    // fd, msg_flags; the runtime lends a buffer from its pool only once data
    // has arrived: result = bytes, and buf/len/buf_id name the buffer
    // (-ENOBUFS never reaches the waiter: the op waits for a buffer).
    recv_pooled,
    send,      // fd, buf, len, msg_flags | MSG_NOSIGNAL; result = bytes
    recvmsg,   // fd, msg, msg_flags
    sendmsg,   // fd, msg, msg_flags | MSG_NOSIGNAL
    read,      // fd, buf, len, offset (-1: current position)
    write,     // fd, buf, len, offset
    close,     // fd: pending ops on fd complete (ECANCELED) before the close does
    shutdown,  // fd, how
    timeout,   // user space: completes with 0 at the deadline
    wait,      // user space: completes when something in the runtime signals it
    count_
};

inline constexpr std::size_t op_kind_count = static_cast<std::size_t>(OpKind::count_);

const char* op_kind_name(OpKind kind) noexcept;

// What the caller knows about an op that a backend may use to skip work.
// Hints never change results, only how a backend gets them.
namespace op_hint {
// A recv on a stream socket: a result shorter than the buffer means the
// socket was drained at that moment, so a backend may remember the fd as
// empty (and wait before the next try) or as non-empty (and try at once).
inline constexpr std::uint8_t stream = 1;
// A timeout already due still waits for one kernel poll before it completes:
// yield() lets the loop take in completions before the caller goes on.
inline constexpr std::uint8_t after_poll = 2;
}  // namespace op_hint

// Why an op was asked to stop; decides how its -ECANCELED is reported.
enum class CancelReason : std::uint8_t { none, canceled, timed_out };

namespace detail {

struct CancelScope;

// Where an op is, from acquire to release: the one record of it, so every
// path that stops or drops an op (cancel, abandon, close, shutdown) is a
// switch on it. Transitions are drawn in docs/architecture.md.
enum class OpState : std::uint8_t {
    idle,         // acquired, arguments being filled in
    in_flight,    // with the backend (kernel, poll descriptor, blocking pool) or the timer heap
    buffer_wait,  // a pooled read parked in the core until a pool buffer is free
    readable,     // a pooled read whose fd is readable: it reads right before its task resumes
    backing_off,  // an accept failed for want of fds, held for its listener's back-off
    abandoned,    // nobody waits any more: the core cleans up at the final completion
    done,         // final completion delivered, result valid
};

// Started and not yet done: someone (kernel, backend, core) still holds it.
constexpr bool is_pending(OpState s) noexcept { return s != OpState::idle && s != OpState::done; }
// What the backend holds: its final completion is still to come from there.
constexpr bool with_backend(OpState s) noexcept { return s == OpState::in_flight || s == OpState::abandoned; }

struct Op {
    // Arguments. Which ones matter depends on kind.
    OpKind kind = OpKind::nop;
    OpState state = OpState::idle;
    CancelReason cancel_reason = CancelReason::none;
    std::uint8_t hints = 0;      // op_hint::*
    int fd = -1;
    int msg_flags = 0;           // MSG_* for recv/send, `how` for shutdown
    void* buf = nullptr;
    std::uint32_t len = 0;
    std::uint64_t offset = 0;
    msghdr* msg = nullptr;
    // Kernel-visible: accept writes it, connect reads it. It lives in the
    // awaiter (io::AcceptOp, io::ConnectOp), so in the awaiting frame, which
    // the abandon protocol keeps alive until the kernel is done; an op slot
    // stays small for the many ops that need no address.
    sockaddr* addr = nullptr;
    socklen_t addrlen = 0;

    // Completion, CQE convention: >= 0 value, < 0 -errno.
    std::int32_t result = 0;
    std::uint32_t completion_flags = 0;

    // Who to resume, and in which cancellation scope it runs.
    std::coroutine_handle<> waiter{};
    CancelScope* scope = nullptr;
    // Instead of resuming a waiter, the runtime calls this (timers that cancel
    // a scope, the join of a spawned task). `context` is its argument.
    void (*on_complete)(Op*) = nullptr;
    void* context = nullptr;
    // A list somewhere else that names this op while it is in flight (a
    // PendingOps: a stream's pending reads, a join's waiter): owner_slot is
    // the list's head, owner_prev/owner_next the links. The runtime unlinks
    // the op at completion (link_owner, unlink_owner below).
    Op** owner_slot = nullptr;
    Op* owner_prev = nullptr;
    Op* owner_next = nullptr;

    // Deadline (steady clock, ns since its epoch; 0 = none) and its place in
    // the runtime's timer heap.
    std::int64_t deadline_ns = 0;
    std::uint32_t heap_index = UINT32_MAX;

    // Slab identity: user_data = generation << 32 | index.
    std::uint32_t index = 0;
    std::uint32_t generation = 0;

    // Intrusive link, used by whichever queue holds the op (free list, a poll
    // descriptor's waiter slot, the wait list of a join).
    Op* next = nullptr;
    // Backend-private word (the epoll backend keeps its readiness tick here).
    std::uint64_t backend_word = 0;
    // What a backend says of the op it hands back (detail::CompletionList):
    // its final completion, or (a pooled read) that its fd is readable.
    enum class Notice : std::uint8_t { completed, readable } notice = Notice::completed;
    // A readable pooled read: its fd's epoch then (the core's FdEpochs).
    std::uint32_t fd_epoch = 0;
    // recv_pooled: the pool buffer the result landed in (-1: none). Whoever
    // holds the op when it is done owns the buffer and gives it back.
    std::int32_t buf_id = -1;
};

inline void link_owner(Op* op, Op** head) noexcept {
    op->owner_slot = head;
    op->owner_prev = nullptr;
    op->owner_next = *head;
    if (*head) (*head)->owner_prev = op;
    *head = op;
}

inline void unlink_owner(Op* op) noexcept {
    if (!op->owner_slot) return;
    if (op->owner_prev) op->owner_prev->owner_next = op->owner_next;
    else if (*op->owner_slot == op) *op->owner_slot = op->owner_next;
    if (op->owner_next) op->owner_next->owner_prev = op->owner_prev;
    op->owner_slot = nullptr;
    op->owner_prev = op->owner_next = nullptr;
}

}  // namespace detail
}  // namespace ringo
