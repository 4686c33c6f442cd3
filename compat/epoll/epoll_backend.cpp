// The epoll backend: a readiness loop (Go's netpoller, mio's selector)
// serving the completion interface of backend.hpp.
//
// Protocol.
// - start(op) tries the op's syscall at once. Done: the result is returned
//   inline. EAGAIN: the op parks in its fd's PollDesc, in the queue of its
//   direction (in: accept, recv, recvmsg, read; out: connect, send, sendmsg,
//   write) and start() returns false. When ops already wait in that
//   direction, a newcomer parks behind them untried, so order holds.
// - An fd is registered once, at its first EAGAIN, with
//   EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET: no epoll_ctl per op. It leaves the
//   set when closed through the backend (EPOLL_CTL_DEL, PollDesc seq bumped).
//   read/write register before their first syscall instead: EPERM is
//   epoll's word for a regular file, whose reads go to the blocking pool.
// - poll() makes one epoll_pwait2 (linux 5.11; else epoll_wait with the
//   timeout rounded up to whole ms) and, per event, retries the queue of each
//   ready direction from its head until an op would block again.
// - close completes every op parked on the fd (ECANCELED), leaves the set,
//   bumps seq, and only then gives the number back with close(2).
// - A number closed with close(2) behind the backend's back keeps a stale
//   PollDesc ("registered", maybe with ops parked on the dead file). Every
//   fd that enters ringo resets it (fd_opened): accept results and
//   SCM_RIGHTS fds here, sockets net/ makes, and io::opened for the rest.
//
// Edge-triggered rules. EPOLLET reports changes, not states, so an op may
// park only where a later change is certain to be reported and looked at:
// - it parks only after its own syscall said EAGAIN (the buffer was empty,
//   or full, then; data or room arriving later is a new edge);
// - the fd is in the set before the op parks. EPOLL_CTL_ADD reports the
//   state at that moment, so an edge between the EAGAIN and the ADD is kept;
// - the readiness tick: each event bumps a counter per direction; an op
//   records it (Op::backend_word) before each try and believes an EAGAIN
//   only if it has not moved since, else it tries again (mio, tokio's
//   ScheduledIo). Tries and events both run on the loop thread today, so the
//   tick cannot move mid-try; the check makes parking safe by construction
//   rather than by that argument;
// - EPOLLERR and EPOLLHUP wake both directions: the retried syscall says why.
//
// Wake: an eventfd in the set (level-triggered) behind a "wake pending"
// flag, so only the first wake() after the loop consumed the last one writes
// (Go's netpollWakeSig). The blocking pool reports through the same wake.
#include "compat/epoll/epoll_backend.hpp"

#include "compat/epoll/op_syscall.hpp"
#include "engine/backend/op_traits.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace ringo::detail {
namespace {

// data.u64 of the wake eventfd. A PollDesc token never has bit 31 set, as
// fd numbers stay below 2^31.
constexpr std::uint64_t wake_token = UINT64_MAX;
constexpr std::uint32_t fd_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr std::uint32_t in_events = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t out_events = EPOLLOUT | EPOLLHUP | EPOLLERR;
// io_uring takes at most 32768 SQ entries; queue_depth means the same here.
constexpr unsigned max_batch = 32768;

// Whole milliseconds for epoll_wait, rounded up: rounded down, the wait
// would end before the nearest timer and the loop would spin until it is due.
int ms_rounded_up(std::int64_t ns) noexcept {
    if (ns < 0) return -1;
    std::int64_t ms = ns / 1'000'000 + (ns % 1'000'000 != 0 ? 1 : 0);
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

std::string init_error(const char* call, int err) {
    std::string s = "epoll: ";
    s += call;
    s += ": ";
    s += strerrorname_np(err) ? strerrorname_np(err) : "?";
    s += std::string(" (") + std::strerror(err) + ")";
    return s;
}

}  // namespace

EpollBackend::EpollBackend(BackendContext ctx)
    : ctx_(ctx), pool_(*this), events_(std::clamp(ctx.options.queue_depth, 1u, max_batch)) {
    // Forces the epoll_wait fallback on a kernel that has epoll_pwait2, so
    // tests can walk it (STYLE rule 11).
    if (const char* env = std::getenv("RINGO_EPOLL_PWAIT2"); env && std::strcmp(env, "0") == 0) use_pwait2_ = false;
}

Result<std::unique_ptr<IoBackend>> EpollBackend::create(BackendContext ctx) {
    std::unique_ptr<EpollBackend> b(new EpollBackend(ctx));
    const char* call = "";
    if (int err = b->init(call); err != 0) return Error(errc::backend_unavailable, init_error(call, err));
    return std::unique_ptr<IoBackend>(std::move(b));
}

int EpollBackend::init(const char*& failed_call) noexcept {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
        failed_call = "epoll_create1";
        return errno;
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        failed_call = "eventfd";
        return errno;
    }
    // Level-triggered: it stays ready until consume_wake() reads it.
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = wake_token;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) < 0) {
        failed_call = "epoll_ctl";
        return errno;
    }
    return 0;
}

EpollBackend::~EpollBackend() {
    // The core drained every op before it let us go. Pool threads call
    // wake(), so they are joined before the eventfd goes.
    pool_.shutdown();
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

// --- start -----------------------------------------------------------------

bool EpollBackend::start(Op& op) noexcept {
    if (op.kind == OpKind::nop) {
        op.result = 0;
        return true;
    }
    // A stale fd number (a double close) must not reach the loop's own fds.
    if (op.fd == epoll_fd_ || op.fd == wake_fd_) {
        op.result = -EBADF;
        return true;
    }
    switch (op.kind) {
    case OpKind::accept:
    case OpKind::connect:
    case OpKind::recv:
    case OpKind::recv_pooled:
    case OpKind::send:
    case OpKind::recvmsg:
    case OpKind::sendmsg:
    case OpKind::read:
    case OpKind::write: {
        int err = 0;
        PollDesc* pd = descs_.get(op.fd, err);
        if (!pd) {
            op.result = -err;
            return true;
        }
        if (traits(op.kind).may_block) return start_file_io(op, *pd);
        return start_polled(op, *pd, traits(op.kind).direction);
    }
    case OpKind::close: return start_close(op);
    case OpKind::shutdown:
        ++ctx_.stats.inline_syscalls;
        ++ctx_.stats.kernel_entries;
        run_syscall(op);  // never blocks
        return true;
    default:
        op.result = -EINVAL;  // timeout and wait are the core's, never a backend's
        return true;
    }
}

bool EpollBackend::start_polled(Op& op, PollDesc& pd, Direction d) noexcept {
    OpQueue& queue = pd.waiters(d);
    if (queue.empty()) {
        // Known empty (or full) since the last edge: the syscall would only
        // say EAGAIN. Park and let the next edge run it.
        if (pd.known_drained(d)) {
            queue.push(op);
            ++parked_;
            return false;
        }
        ++ctx_.stats.inline_syscalls;
        if (attempt(op, pd, d)) return true;
        if (int err = register_fd(pd, op.fd); err != 0) {
            op.result = -err;
            return true;
        }
    }
    queue.push(op);
    ++parked_;
    return false;
}

bool EpollBackend::start_file_io(Op& op, PollDesc& pd) noexcept {
    if (pd.pending_close()) {
        op.result = -EBADF;  // closing: the number is on its way out
        return true;
    }
    if (pd.mode() == PollDesc::Mode::unknown) {
        // Ask epoll before the first syscall: a regular file always looks
        // ready, yet its read may sleep on the disk and stall the loop.
        int err = register_fd(pd, op.fd);
        if (err == EPERM) {
            pd.set_mode(PollDesc::Mode::blocking);
        } else if (err != 0) {
            op.result = -err;
            return true;
        }
    }
    if (pd.mode() == PollDesc::Mode::polled) return start_polled(op, pd, traits(op.kind).direction);
    if (int err = pool_.submit(op); err != 0) {
        op.result = -err;
        return true;
    }
    pd.pool_op_started();
    ++pool_in_flight_;
    return false;
}

bool EpollBackend::start_close(Op& op) noexcept {
    PollDesc* pd = descs_.find(op.fd);
    if (pd && pd->pending_close()) {
        op.result = -EBADF;  // a second close of a number already on its way out
        return true;
    }
    if (pd && pd->pool_ops() > 0) {
        // A pool thread may not have reached its pread yet: closing now
        // could give the number to a new file under it. reap_pool() closes
        // once the last one is back.
        pd->set_pending_close(&op);
        return false;
    }
    ++ctx_.stats.inline_syscalls;
    close_fd(op, pd);
    return true;
}

// One or more tries at op's syscall. False only when the last try would
// block and no event for d arrived since it began: the edge that will end
// the wait is then still to come.
bool EpollBackend::attempt(Op& op, PollDesc& pd, Direction d) noexcept {
    for (;;) {
        const std::uint32_t tick = pd.tick(d);
        op.backend_word = (op.backend_word & ~tick_mask) | tick;
        ++ctx_.stats.kernel_entries;
        if (run_syscall(op, &ctx_.buffers)) {
            note_new_fds(op);
            // A short read of a stream drained the socket (the hint says
            // the fd is one); a read that filled the buffer says nothing.
            if ((op.hints & op_hint::stream) && op.result > 0 && static_cast<std::uint32_t>(op.result) < op.len)
                pd.mark_drained(d, tick);
            return true;
        }
        if (pd.tick(d) == tick) {
            pd.mark_drained(d, tick);
            return false;
        }
    }
}

// Puts fd in the epoll set once per lifetime. 0, or the errno (EPERM: epoll
// cannot watch this kind of file).
int EpollBackend::register_fd(PollDesc& pd, int fd) noexcept {
    if (pd.mode() == PollDesc::Mode::polled) return 0;
    epoll_event ev{};
    ev.events = fd_events;
    ev.data.u64 = pd.token(fd);
    ++ctx_.stats.kernel_entries;
    int r = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    if (r < 0 && errno == EEXIST) {
        // The same file already sits in the set under this number, from a
        // lifetime whose close we never saw (close(2) while a dup kept the
        // file open, then the number given back to it): give it this
        // lifetime's token.
        ++ctx_.stats.kernel_entries;
        r = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
        if (r < 0 && errno == ENOENT) {
            // And gone again in between (another thread closed it): add
            // whatever the number names now.
            ++ctx_.stats.kernel_entries;
            r = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
        }
    }
    if (r < 0) return errno;
    pd.set_mode(PollDesc::Mode::polled);
    return 0;
}

// A new file under fd's number. Its PollDesc is fresh unless the last file
// of that number was closed with close(2) behind our back: then it may
// still say "registered" (epoll dropped the file when its last reference
// went, so no edge would ever come) and hold ops parked on the old file.
// Those complete with ECANCELED, and the desc starts a new lifetime: seq
// bumped, so events of the old file are dropped, and
// unregistered, so the next EAGAIN registers the new file. No syscall: the
// numbers come from results we already hold.
void EpollBackend::fd_opened(int fd) noexcept {
    PollDesc* pd = descs_.find(fd);
    if (!pd || pd->is_fresh()) return;  // no desc yet: never seen
    cancel_waiters(*pd);
    pd->retire();
}

// The fds a completed op brought in: an accept's new socket, and the fds
// of an SCM_RIGHTS message a recvmsg took in. The core calls fd_opened for
// them too once this call into the backend returns (a no-op then: the
// desc is fresh); this one runs at once, before the rest of the batch.
void EpollBackend::note_new_fds(const Op& op) noexcept {
    for_each_carried_fd(op, [this](int fd) { fd_opened(fd); });
}

void EpollBackend::close_fd(Op& op, PollDesc* pd) noexcept {
    auto& stats = ctx_.stats;
    if (pd) {
        cancel_waiters(*pd);
        if (pd->mode() == PollDesc::Mode::polled) {
            // close(2) alone would leave the file in the set while a dup or
            // a forked child holds it, still firing events.
            ++stats.kernel_entries;
            ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, op.fd, nullptr);
        }
        pd->retire();
    }
    ++stats.kernel_entries;
    // Linux frees the number even when close(2) is interrupted; retrying
    // could close one that another thread has just been given.
    op.result = (::close(op.fd) == 0 || errno == EINTR) ? 0 : -errno;
}

// --- cancel ----------------------------------------------------------------

void EpollBackend::cancel(Op& op) noexcept {
    // Only a parked op can be stopped here. A pool op runs to its end and
    // completes normally; anything else has completed already.
    PollDesc* pd = descs_.find(op.fd);
    if (!pd) return;
    for (Direction d : {Direction::in, Direction::out}) {
        if (pd->waiters(d).remove(op)) {
            // Those behind it stay parked untried: the head's EAGAIN said
            // the direction was not ready, and any change since is an edge
            // still to be reported.
            --parked_;
            ctx_.completed.completed(op, -ECANCELED, 0);
            return;
        }
    }
}

void EpollBackend::cancel_waiters(PollDesc& pd) noexcept {
    for (Direction d : {Direction::in, Direction::out}) {
        while (Op* op = pd.waiters(d).pop()) {
            --parked_;
            ctx_.completed.completed(*op, -ECANCELED, 0);
        }
    }
}

// --- poll ------------------------------------------------------------------

int EpollBackend::poll(std::int64_t timeout_ns) noexcept {
    // Nothing parked, nothing with the pool and no time to wait: the kernel
    // has nothing for us, so a busy loop's turn costs no syscall.
    if (timeout_ns == 0 && parked_ == 0 && pool_in_flight_ == 0) return 0;
    int n = wait(timeout_ns);
    for (int i = 0; i < n; ++i) dispatch(events_[static_cast<std::size_t>(i)]);
    reap_pool();
    return n < 0 && n != -EINTR ? n : 0;
}

int EpollBackend::wait(std::int64_t timeout_ns) noexcept {
    auto max = static_cast<int>(events_.size());
    ++ctx_.stats.kernel_entries;
    if (use_pwait2_) {
        timespec ts{};
        ts.tv_sec = timeout_ns / 1'000'000'000;
        ts.tv_nsec = timeout_ns % 1'000'000'000;
        int n = ::epoll_pwait2(epoll_fd_, events_.data(), max, timeout_ns >= 0 ? &ts : nullptr, nullptr);
        if (n >= 0) return n;
        // ENOSYS: linux < 5.11. EPERM: a seccomp profile older than the
        // syscall (Docker's denies what it does not know).
        if (errno != ENOSYS && errno != EPERM) return -errno;
        use_pwait2_ = false;
        ++ctx_.stats.kernel_entries;
    }
    int n = ::epoll_wait(epoll_fd_, events_.data(), max, ms_rounded_up(timeout_ns));
    return n >= 0 ? n : -errno;
}

void EpollBackend::dispatch(const epoll_event& ev) noexcept {
    if (ev.data.u64 == wake_token) {
        consume_wake();
        return;
    }
    PollDesc* pd = descs_.find(PollDesc::token_fd(ev.data.u64));
    // From an earlier lifetime of this fd number: never for the new owner.
    if (!pd || !pd->is_current(ev.data.u64)) return;
    if (ev.events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) pd->mark_hung_up();
    if (ev.events & in_events) {
        pd->bump(Direction::in);
        retry_waiters(*pd, Direction::in);
    }
    if (ev.events & out_events) {
        pd->bump(Direction::out);
        retry_waiters(*pd, Direction::out);
    }
}

void EpollBackend::retry_waiters(PollDesc& pd, Direction d) noexcept {
    OpQueue& queue = pd.waiters(d);
    while (Op* op = queue.front()) {
        if (op->kind == OpKind::recv_pooled) {
            // Read when its task is about to run, not now (CompletionList::readable):
            // the buffer is lent only while the task runs. If the data is gone
            // by then, the restarted op parks again, at a fresh tick.
            queue.pop();
            --parked_;
            ctx_.completed.readable(*op);
            continue;
        }
        if (!attempt(*op, pd, d)) return;  // blocked again: first in line for the next edge
        queue.pop();
        --parked_;
        ctx_.completed.completed(*op, op->result, 0);
    }
}

void EpollBackend::reap_pool() noexcept {
    if (pool_in_flight_ == 0) return;
    Op* op = pool_.take_completed();
    while (op) {
        Op* next = std::exchange(op->next, nullptr);
        PollDesc* pd = descs_.find(op->fd);  // made by start_file_io, never freed
        --pool_in_flight_;
        ctx_.completed.completed(*op, op->result, 0);  // may free the slot: op is not read after
        if (pd) {
            pd->pool_op_finished();
            if (Op* close_op = pd->pending_close(); close_op && pd->pool_ops() == 0) {
                close_fd(*close_op, pd);
                ctx_.completed.completed(*close_op, close_op->result, 0);
            }
        }
        op = next;
    }
}

// --- wake ------------------------------------------------------------------

void EpollBackend::consume_wake() noexcept {
    std::uint64_t count;
    while (::read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
    }
    // After the read, and an exchange rather than a store: a wake() that
    // found the flag still set skipped its write, and reading its "true"
    // here (acquire) makes what it published before waking visible now.
    wake_pending_.exchange(false, std::memory_order_acq_rel);
}

// epoll picks a buffer itself, after readiness (op_syscall.cpp): free
// buffers wait on the pool's stack.
void EpollBackend::recycle_buffer(std::uint32_t bid) noexcept { ctx_.buffers.put(bid); }

void EpollBackend::wake() noexcept {
    // One write per sleep; the flag keeps a busy loop from being woken by
    // every caller. Async-signal-safe: a lock-free atomic and write(2), and
    // errno is left as the interrupted code had it.
    static_assert(std::atomic<bool>::is_always_lock_free);
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    int saved = errno;
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    errno = saved;
}

}  // namespace ringo::detail
