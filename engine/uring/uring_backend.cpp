// The io_uring backend.
//
// Protocol. One ring per runtime, used by one thread (SINGLE_ISSUER). Ops are
// queued as SQEs while coroutines run; poll() hands them all to the kernel
// and waits for completions in a single io_uring_enter
// (io_uring_submit_and_wait_timeout), then reaps every CQE in one batch.
// user_data is the op's slab (generation << 32 | index); generation 0 never
// names an op and marks our own requests: 0 = ignore (cancels), 1 = wake.
//
// Ring rules we rely on. liburing publishes the SQ tail with a release store
// in io_uring_submit; we read CQEs between the acquire load of the CQ tail
// (io_uring_for_each_cqe) and io_uring_cq_advance, which releases the slots
// to the kernel, so no CQE is read after its slot has been handed back.
//
// Kernel requirements: SINGLE_ISSUER|DEFER_TASKRUN linux 6.1, COOP_TASKRUN
// 5.19, ASYNC_CANCEL_FD|ALL 5.19, EXT_ARG (timeout in the wait) 5.11,
// CQE_SKIP_SUCCESS 5.17, NODROP (CQ overflow kept in the kernel) 5.5,
// multishot accept 5.19 (engine/uring/multishot_accept.cpp), multishot recv
// 6.0 and its byte budget 6.17 (engine/uring/multishot_recv.cpp), and
// IORING_ENTER_NO_IOWAIT 6.15 for the wait.
//
// Which fast paths to use is decided once, at creation, from ringo::probe()
// (engine/probe/), RuntimeOptions and RINGO_DISABLE; the hot path reads
// plain bools.
#include "engine/uring/uring_backend.hpp"

#include "engine/probe/ring_ladder.hpp"
#include "compat/uring/uring_shims.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace ringo::detail {
namespace {

constexpr std::uint64_t ud_ignore = 0;
constexpr std::uint64_t ud_wake = 1;
constexpr std::uint64_t ud_probe = 2;  // activate()'s round trip
// Submits make_room tries before it gives up on a ring that stays full.
constexpr int max_submit_tries = 64;
// The kernel's cap on deferred task work per enter (IO_LOCAL_TW_DEFAULT_MAX),
// and how many extra fetches one poll may make when a batch hit it.
constexpr unsigned deferred_batch = 20;
constexpr int max_extra_fetches = 16;
// Below this many ops in flight a full batch is the whole load: no refetch
// (at 64 connections it only added entries: 0.10-0.93 per send against
// 0.13-0.17).
constexpr std::uint32_t many_in_flight = 256;

std::string setup_error(int err) {
    std::string s = "io_uring_setup: ";
    s += strerrorname_np(err) ? strerrorname_np(err) : "?";
    switch (err) {
    case EPERM: s += " (kernel.io_uring_disabled, or a seccomp profile denies io_uring)"; break;
    case ENOSYS: s += " (kernel without io_uring, or a seccomp filter)"; break;
    case ENOMEM: s += " (RLIMIT_MEMLOCK too low for the ring)"; break;
    default: s += std::string(" (") + std::strerror(err) + ")"; break;
    }
    return s;
}

}  // namespace

UringBackend::UringBackend(BackendContext ctx, FeatureSet allowed)
    : ctx_(ctx), allowed_(allowed),
      recv_(static_cast<MultishotRecv::Hooks&>(*this), ctx.buffers, buf_group, ctx.options.read_buffers.read_ahead,
            ctx.stats.multishot_recv_arms) {}

Result<std::unique_ptr<IoBackend>> UringBackend::create(BackendContext ctx, FeatureSet allowed) {
    std::unique_ptr<UringBackend> b(new UringBackend(ctx, allowed));
    if (int err = b->init(); err != 0) return Error(errc::backend_unavailable, setup_error(err));
    return std::unique_ptr<IoBackend>(std::move(b));
}

int UringBackend::init() {
    unsigned entries = ctx_.options.queue_depth ? ctx_.options.queue_depth : 256;
    // The probe tried the same ladder; a step it allowed may still fail here
    // (a larger queue_depth), so keep stepping down on EINVAL.
    int err = EINVAL;
    for (unsigned flags : ring_ladder) {
        if (!ring_step_allowed(flags, allowed_.has(Feature::defer_taskrun), allowed_.has(Feature::coop_taskrun)))
            continue;
        io_uring_params p{};
        // A SINGLE_ISSUER ring belongs to the thread that enables it: set
        // it up disabled, and let the first block_on's thread enable it
        // (enter_thread), wherever the Runtime was created.
        p.flags = flags | ((flags & IORING_SETUP_SINGLE_ISSUER) ? IORING_SETUP_R_DISABLED : 0u);
        p.cq_entries = entries * ring_cq_factor;
        int r = io_uring_queue_init_params(entries, &ring_, &p);
        if (r == 0) {
            setup_flags_ = flags;
            cqe_skip_ = p.features & IORING_FEAT_CQE_SKIP;
            ring_ready_ = true;
            err = 0;
            break;
        }
        err = -r;
        if (err != EINVAL) return err;  // only EINVAL means "try fewer flags"
    }
    if (err != 0) return err;
    // The probe proved these with real completions (engine/probe/).
    multishot_accept_ = allowed_.has(Feature::multishot_accept);
    speculative_send_ = allowed_.has(Feature::speculative_send);
    no_iowait_ = allowed_.has(Feature::no_iowait);
    buf_ring_allowed_ = allowed_.has(Feature::buf_ring);
    // The verdict grants read-ahead only with buf_ring and the byte budget
    // (engine/probe/verdict.cpp); it starts once the buffer ring is set up.
    multishot_recv_allowed_ = allowed_.has(Feature::multishot_recv);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return errno;
    if (setup_flags_ & IORING_SETUP_SINGLE_ISSUER) return 0;  // activated by enter_thread
    return activate();
}

// The ring's first use: arm the wake-up read and prove one round trip (a
// ring that sets up may still refuse ops: gVisor, LSM policy).
int UringBackend::activate() noexcept {
    active_ = true;
    if (!arm_wake()) return submit_error_ ? submit_error_ : EBUSY;
    io_uring_sqe* sqe = get_sqe();
    if (!sqe) return submit_error_ ? submit_error_ : EBUSY;
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, ud_probe);
    probe_result_ = 1;
    for (int i = 0; i < 100 && probe_result_ == 1; ++i) {
        int r = io_uring_submit_and_wait(&ring_, 1);
        if (r < 0 && r != -EINTR) return -r;
        reap();
    }
    return probe_result_ < 0 ? -probe_result_ : 0;
}

int UringBackend::enter_thread() noexcept {
    if (setup_flags_ & IORING_SETUP_SINGLE_ISSUER) {
        const pid_t tid = ::gettid();
        if (!active_) {
            if (int r = compat::enable_rings(&ring_); r < 0) return -r;
            owner_tid_ = tid;
            if (int err = activate(); err != 0) return err;
        } else if (tid != owner_tid_) {
            return EXDEV;
        }
    }
    // An optimisation only (linux 5.18): without it each enter looks the fd
    // up. The registration is the calling thread's, so it lasts one block_on.
    if (allowed_.has(Feature::registered_ring_fd) && !ring_fd_refused_) {
        ring_fd_registered_ = io_uring_register_ring_fd(&ring_) == 1;
        ring_fd_refused_ = !ring_fd_registered_;
    }
    return 0;
}

void UringBackend::leave_thread() noexcept {
    if (ring_fd_registered_) io_uring_unregister_ring_fd(&ring_);
    ring_fd_registered_ = false;
}

Error UringBackend::thread_error(int err) const {
    if (err == EXDEV)
        return Error(errc::backend_unavailable,
                     "block_on on another thread: this Runtime's io_uring ring (SINGLE_ISSUER) belongs to the "
                     "thread that first ran it; run block_on there, or create the Runtime with defer_taskrun = false");
    return Error(errno_code(err), "block_on: enabling the io_uring ring");
}

UringBackend::~UringBackend() {
    // The core drained every op before it let us go. Multishot accepts may
    // still be armed: cancel them and reap until they end, so any fd they
    // accepted meanwhile is closed rather than lost in the CQ. The wake read
    // dies with the ring, which is torn down before its buffer.
    if (ring_ready_) {
        // Multishot receives likewise, so no buffer is written after the
        // ring that feeds them is gone. Bounded waits: a request that never
        // ends must not hang the teardown.
        for (int i = 0; active_ && i < 100 && accept_.cancel_all() + recv_.cancel_all() > 0; ++i) {
            __kernel_timespec ts{0, 10'000'000};
            io_uring_cqe* cqe = nullptr;
            io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
            reap();
        }
        if (buf_ring_) compat::free_buf_ring(&ring_, buf_ring_, buf_ring_entries_, buf_group);
        io_uring_queue_exit(&ring_);
    }
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool UringBackend::make_room(unsigned n) noexcept {
    // SQ too full: hand the batch to the kernel now, then look again. A busy
    // CQ (EBUSY) is emptied first so the submit can go through. A ring that
    // refuses the submit outright (used from a thread it does not belong
    // to, say) gets no retry: the caller fails its op, the loop's wait
    // reports the error, and nothing spins.
    for (int tries = 0; io_uring_sq_space_left(&ring_) < n; ++tries) {
        if (tries == max_submit_tries) {
            submit_error_ = EBUSY;
            return false;
        }
        ++ctx_.stats.kernel_entries;
        int r = io_uring_submit(&ring_);
        if (r >= 0 || r == -EINTR) continue;
        if (r != -EBUSY && r != -EAGAIN) {
            submit_error_ = -r;
            return false;
        }
        if (!reaping_) {
            reap();
            ++ctx_.stats.kernel_entries;
            io_uring_get_events(&ring_);
            reap();
        }
    }
    return true;
}

io_uring_sqe* UringBackend::get_sqe() noexcept { return make_room(1) ? io_uring_get_sqe(&ring_) : nullptr; }

bool UringBackend::arm_wake() noexcept {
    io_uring_sqe* sqe = get_sqe();
    if (!sqe) return false;
    io_uring_prep_read(sqe, wake_fd_, &wake_buf_, sizeof wake_buf_, 0);
    io_uring_sqe_set_data64(sqe, ud_wake);
    wake_armed_ = true;
    return true;
}

bool UringBackend::no_sqe(Op& op) noexcept {
    op.result = -(submit_error_ ? submit_error_ : EBUSY);
    return true;
}

bool UringBackend::start(Op& op) noexcept {
    auto& stats = ctx_.stats;
    if (op.fd >= 0 && (op.fd == wake_fd_ || op.fd == ring_.ring_fd)) {
        // The runtime's own fds, named by a stale number: never let an op
        // (least of all a close) reach them.
        op.result = -EBADF;
        return true;
    }
    if (op.kind == OpKind::send && speculative_send_ && io_uring_sq_ready(&ring_) == 0) {
        // A send nearly always fits in the socket buffer: try it in place
        // and queue only when the kernel says it would block. Only while the
        // SQ is empty, though: then the send would cost a kernel entry of its
        // own (and a loop turn before its task runs on). With SQEs already
        // queued, an entry is coming anyway and the send rides in it: one
        // sendto per busy turn instead of one per message (at 64
        // connections that was 15.2 against 10.0 us of server CPU per
        // message).
        ++stats.inline_syscalls;
        ++stats.kernel_entries;
        ssize_t n = ::send(op.fd, op.buf, op.len, op.msg_flags | MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            op.result = n >= 0 ? static_cast<std::int32_t>(n) : -errno;
            return true;
        }
    }

    if (op.kind == OpKind::accept && multishot_accept_ && op.fd >= 0 && op.fd <= MultishotAccept::max_fd) {
        if (accept_.start(op)) return true;
        ++in_flight_;
        return false;
    }
    if (op.kind == OpKind::close) {
        accept_.on_close(op.fd);
        if (multishot_recv_) recv_.on_close(op.fd);
    }

    if (multishot_recv_ && recv_.takes(op)) {
        if (recv_.start(op)) return true;
        ++in_flight_;
        return false;
    }
    if (op.kind == OpKind::recv_pooled) return start_recv_pooled(op);
    if (op.kind == OpKind::recv && (op.hints & op_hint::stream) && speculative_send_ &&
        sock_state(op.fd) == SockState::nonempty && try_recv_inline(op))
        return true;

    return !queue_sqe(op);
}

bool UringBackend::queue_sqe(Op& op) noexcept {
    // A close is a linked pair: both entries go in one submission, or the
    // cancel could run on its own after the close and hit the number's
    // next file.
    if (!make_room(op.kind == OpKind::close ? 2 : 1)) return !no_sqe(op);
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    switch (op.kind) {
    case OpKind::nop: io_uring_prep_nop(sqe); break;
    case OpKind::accept: prep_single_accept(op, sqe); break;
    case OpKind::connect:
        io_uring_prep_connect(sqe, op.fd, op.addr, op.addrlen);
        break;
    case OpKind::recv:
        io_uring_prep_recv(sqe, op.fd, op.buf, op.len, op.msg_flags);
        // Known drained: arm the poll at once instead of a recv attempt
        // that would only say EAGAIN (POLL_FIRST, linux 5.19).
        if ((op.hints & op_hint::stream) && sock_state(op.fd) == SockState::drained)
            sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
        break;
    case OpKind::send: io_uring_prep_send(sqe, op.fd, op.buf, op.len, op.msg_flags | MSG_NOSIGNAL); break;
    case OpKind::recvmsg: io_uring_prep_recvmsg(sqe, op.fd, op.msg, static_cast<unsigned>(op.msg_flags)); break;
    case OpKind::sendmsg:
        io_uring_prep_sendmsg(sqe, op.fd, op.msg, static_cast<unsigned>(op.msg_flags | MSG_NOSIGNAL));
        break;
    case OpKind::read: io_uring_prep_read(sqe, op.fd, op.buf, op.len, op.offset); break;
    case OpKind::write: io_uring_prep_write(sqe, op.fd, op.buf, op.len, op.offset); break;
    case OpKind::shutdown: io_uring_prep_shutdown(sqe, op.fd, op.msg_flags); break;
    case OpKind::close: {
        // Every op still pending on the fd completes (ECANCELED) before the
        // close runs, so the fd number is never reused under a live op. The
        // hard link keeps the close even when the cancel finds nothing.
        io_uring_prep_cancel_fd(sqe, op.fd, IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, ud_ignore);
        sqe->flags |= IOSQE_IO_HARDLINK;
        if (cqe_skip_) sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        sqe = io_uring_get_sqe(&ring_);  // room made for both above
        io_uring_prep_close(sqe, op.fd);
        break;
    }
    case OpKind::recv_pooled:  // start_recv_pooled
    case OpKind::timeout:
    case OpKind::wait:
    case OpKind::count_:
        op.result = -EINVAL;  // served by the core, never by a backend
        return false;
    }
    io_uring_sqe_set_data64(sqe, OpPool::user_data(op));
    ++in_flight_;
    return true;
}

// A plain recv that waited for read-ahead, when the buffer ring ran dry:
// it brings its own buffer, so it reads one shot on its own. It is still
// counted in flight.
void UringBackend::resubmit(Op& op) noexcept {
    --in_flight_;
    if (!queue_sqe(op)) ctx_.completed.completed(op, op.result, 0);
}

void UringBackend::fd_opened(int fd) noexcept {
    if (multishot_recv_) recv_.on_new_file(fd);
}

void UringBackend::prep_single_accept(Op& op, io_uring_sqe* sqe) noexcept {
    // op.addr and op.addrlen were set by the awaiter (io::AcceptOp).
    io_uring_prep_accept(sqe, op.fd, op.addr, &op.addrlen, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

// --- pooled reads ------------------------------------------------------------

void UringBackend::recycle_buffer(std::uint32_t bid) noexcept {
    BufPool& pool = ctx_.buffers;
    if (!buf_ring_decided_) {
        buf_ring_decided_ = true;
        if (buf_ring_allowed_) {
            unsigned entries = 1;
            while (entries < pool.capacity()) entries <<= 1;
            int err = 0;
            buf_ring_ = compat::setup_buf_ring(&ring_, entries, buf_group, &err);
            if (buf_ring_) {
                buf_ring_entries_ = entries;
                // Read-ahead serves every borrowed read of a stream; spares
                // (for reads in place) would only sit out of the ring.
                multishot_recv_ = multishot_recv_allowed_ && recv_.init() == 0;
                try {
                    if (!multishot_recv_) spares_.reserve(max_spares);
                } catch (...) {
                    speculative_send_ = false;  // no spares then: every borrowed read goes to the ring
                }
            }
            else ctx_.log(std::string("ringo: io_uring buffer ring unavailable, borrowed reads poll first: ") +
                           std::strerror(err));
        }
    }
    if (!buf_ring_) {
        pool.put(bid);
        return;
    }
    if (speculative_send_ && !multishot_recv_ && spares_.size() < max_spares) {
        spares_.push_back(bid);  // capacity reserved when the ring was set up
        return;
    }
    io_uring_buf_ring_add(buf_ring_, pool.data(bid), pool.buffer_size(), static_cast<unsigned short>(bid),
                          io_uring_buf_ring_mask(buf_ring_entries_), 0);
    io_uring_buf_ring_advance(buf_ring_, 1);
}

void UringBackend::return_spares() noexcept {
    if (spares_.empty()) return;
    BufPool& pool = ctx_.buffers;
    const int mask = io_uring_buf_ring_mask(buf_ring_entries_);
    int i = 0;
    for (auto bid : spares_)
        io_uring_buf_ring_add(buf_ring_, pool.data(bid), pool.buffer_size(), static_cast<unsigned short>(bid), mask, i++);
    io_uring_buf_ring_advance(buf_ring_, i);
    spares_.clear();
}

// The socket still held data at the last completion: read it now into a
// spare buffer, with no SQE, no CQE and no suspension.
bool UringBackend::try_recv_pooled_inline(Op& op) noexcept {
    const std::uint32_t bid = spares_.back();
    BufPool& pool = ctx_.buffers;
    const int n = recv_in_place(op.fd, pool.data(bid), pool.buffer_size(), op.msg_flags);
    if (n == -EAGAIN) return false;
    if (n > 0) {  // EOF or error: the spare stays
        spares_.pop_back();
        op.buf_id = static_cast<std::int32_t>(bid);
    }
    op.result = n;
    return true;
}

bool UringBackend::start_recv_pooled(Op& op) noexcept {
    if (buf_ring_) {
        if ((op.hints & op_hint::stream) && !spares_.empty() && sock_state(op.fd) == SockState::nonempty &&
            try_recv_pooled_inline(op))
            return true;
        io_uring_sqe* sqe = get_sqe();
        if (!sqe) return no_sqe(op);
        io_uring_prep_recv(sqe, op.fd, nullptr, ctx_.buffers.buffer_size(), op.msg_flags);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = buf_group;
        if ((op.hints & op_hint::stream) && sock_state(op.fd) == SockState::drained)
            sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
        io_uring_sqe_set_data64(sqe, OpPool::user_data(op));
        ++in_flight_;
        return false;
    }
    // No buffer ring: readiness first, then a buffer from the pool's stack.
    if (sock_state(op.fd) != SockState::drained) {
        ++ctx_.stats.inline_syscalls;
        ++ctx_.stats.kernel_entries;
        if (recv_into_pool(op, ctx_.buffers)) {
            if (op.result > 0)
                set_sock_state(op.fd, static_cast<std::uint32_t>(op.result) == op.len ? SockState::nonempty
                                                                                     : SockState::drained);
            return true;
        }
        set_sock_state(op.fd, SockState::drained);
    }
    io_uring_sqe* sqe = get_sqe();
    if (!sqe) return no_sqe(op);
    io_uring_prep_poll_add(sqe, op.fd, POLLIN | POLLRDHUP);
    io_uring_sqe_set_data64(sqe, OpPool::user_data(op));
    ++in_flight_;
    return false;
}

// The POLL_ADD of a pooled read without a buffer ring completed. The read
// runs when the task is about to resume (CompletionList::readable), so a
// buffer is lent only while its task runs.
void UringBackend::on_readable(Op& op, int res) noexcept {
    --in_flight_;
    if (res < 0) {
        ctx_.completed.completed(op, res, 0);
        return;
    }
    set_sock_state(op.fd, SockState::nonempty);  // so the restart reads first
    ctx_.completed.readable(op);
}

void UringBackend::set_sock_state(int fd, SockState st) noexcept {
    if (fd < 0) return;
    auto i = static_cast<std::size_t>(fd);
    if (i >= sock_state_.size()) {
        if (st == SockState::unknown) return;
        try {
            sock_state_.resize(std::max<std::size_t>(i + 1, sock_state_.size() * 2));
        } catch (...) {
            return;  // a hint only
        }
    }
    sock_state_[i] = st;
}

// The last completion said the socket still holds data: take it now, with
// no SQE, no CQE and no suspension (what keeps streaming on io_uring from
// losing to epoll). EAGAIN means the hint was stale: queue the recv.
bool UringBackend::try_recv_inline(Op& op) noexcept {
    const int n = recv_in_place(op.fd, op.buf, op.len, op.msg_flags);
    if (n == -EAGAIN) return false;
    op.result = n;
    return true;
}

int UringBackend::recv_in_place(int fd, void* buf, std::uint32_t len, int flags) noexcept {
    auto& stats = ctx_.stats;
    ++stats.inline_syscalls;
    ++stats.kernel_entries;
    ssize_t n = ::recv(fd, buf, len, flags | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        set_sock_state(fd, SockState::drained);
        return -EAGAIN;
    }
    const int result = n >= 0 ? static_cast<int>(n) : -errno;
    // A full buffer suggests more is waiting; a short read drained it.
    set_sock_state(fd, n > 0 && static_cast<std::uint32_t>(n) == len ? SockState::nonempty : SockState::drained);
    return result;
}

void UringBackend::complete(Op& op, int result) noexcept {
    --in_flight_;
    ctx_.completed.completed(op, result, 0);
}

void UringBackend::cancel(Op& op) noexcept {
    if (op.kind == OpKind::accept && accept_.cancel(op)) return;
    if (multishot_recv_ && recv_.cancel(op)) return;
    io_uring_sqe* sqe = get_sqe();
    if (!sqe) return;  // the ring refuses submits: the loop's wait says so and ends
    io_uring_prep_cancel64(sqe, OpPool::user_data(op), 0);
    io_uring_sqe_set_data64(sqe, ud_ignore);
    if (cqe_skip_) sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

int UringBackend::poll(std::int64_t timeout_ns) noexcept {
    auto& stats = ctx_.stats;
    int r = 0;
    if (timeout_ns == 0) {
        // Do not wait. Enter only if there is something to submit, or, on a
        // DEFER_TASKRUN ring, completions that run only when we ask.
        bool deferred = (setup_flags_ & IORING_SETUP_DEFER_TASKRUN) && in_flight_ > 0;
        if (io_uring_sq_ready(&ring_) > 0 || deferred || io_uring_cq_has_overflow(&ring_)) {
            ++stats.kernel_entries;
            r = io_uring_submit_and_get_events(&ring_);
        }
    } else {
        __kernel_timespec ts{};
        __kernel_timespec* tsp = nullptr;
        if (timeout_ns > 0) {
            ts.tv_sec = timeout_ns / 1'000'000'000;
            ts.tv_nsec = timeout_ns % 1'000'000'000;
            tsp = &ts;
        }
        ++stats.kernel_entries;
        r = compat::submit_and_wait(&ring_, tsp, ring_fd_registered_, no_iowait_ ? compat::enter_no_iowait : 0u);
    }
    unsigned reaped = reap();
    if ((setup_flags_ & IORING_SETUP_DEFER_TASKRUN) && reaped >= deferred_batch && in_flight_ > many_in_flight) {
        // Since linux 6.13 one enter runs at most max(20, min_complete)
        // deferred completions (poll-woken recvs among them), while recvs
        // that find data at submission complete inline, unthrottled. Under
        // load the woken ones then starved for seconds behind hot
        // connections (ringo-bench, 1000 x 4 KiB x 16: up to 734 of 1000
        // connections idle for a whole window). A full batch suggests more
        // is queued: fetch again, a bounded number of times.
        for (int i = 0; i < max_extra_fetches; ++i) {
            ++stats.kernel_entries;
            io_uring_get_events(&ring_);
            if (reap() < deferred_batch) break;
        }
    }
    if (io_uring_cq_has_overflow(&ring_)) {
        // The kernel kept CQEs that did not fit (NODROP); fetch them now.
        ++stats.kernel_entries;
        io_uring_get_events(&ring_);
        reap();
    }
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN) return r;
    return 0;
}

unsigned UringBackend::reap() noexcept {
    reaping_ = true;
    unsigned total = 0;
    // Each CQE is copied and its slot handed back before it is dispatched: a
    // handler that needs an SQE (re-arming the wake read or a multishot
    // accept) may have to submit, and a submit can only flush completions
    // the kernel held back (CQ overflow) into a CQ with room in it. Freed
    // one at a time, the CQ always has that room, so get_sqe cannot spin
    // on EBUSY here.
    const unsigned mask = ring_.cq.ring_mask;
    for (;;) {
        unsigned head = *ring_.cq.khead;
        const unsigned tail = io_uring_smp_load_acquire(ring_.cq.ktail);
        if (head == tail) break;
        for (; head != tail; ++head) {
            const io_uring_cqe cqe = ring_.cq.cqes[head & mask];
            io_uring_cq_advance(&ring_, 1);
            dispatch(cqe);
            ++total;
        }
    }
    reaping_ = false;
    return total;
}

void UringBackend::dispatch(const io_uring_cqe& cqe) noexcept {
    if (cqe.user_data == ud_ignore) return;
    if (MultishotAccept::is_tag(cqe.user_data)) {
        accept_.on_cqe(cqe.user_data, cqe.res, cqe.flags);
        return;
    }
    if (MultishotRecv::is_tag(cqe.user_data)) {
        recv_.on_cqe(cqe.user_data, cqe.res, cqe.flags);
        return;
    }
    if (cqe.user_data == ud_wake) {
        wake_armed_ = false;
        wake_pending_.store(false, std::memory_order_release);
        arm_wake();
        return;
    }
    if (cqe.user_data == ud_probe) {
        probe_result_ = cqe.res < 0 ? cqe.res : 0;
        return;
    }
    Op* op = ctx_.ops.lookup(cqe.user_data);
    if (!op || !with_backend(op->state)) return;  // stale: slot moved on
    if (op->kind == OpKind::recv_pooled) {
        if (!buf_ring_) {
            on_readable(*op, cqe.res);
            return;
        }
        if (cqe.flags & IORING_CQE_F_BUFFER) op->buf_id = static_cast<std::int32_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
        if (cqe.res == -ENOBUFS) return_spares();  // the kernel needs them more
    }
    --in_flight_;
    if ((op->kind == OpKind::recv || op->kind == OpKind::recv_pooled) && (op->hints & op_hint::stream) &&
        cqe.res > 0)
        set_sock_state(op->fd, (cqe.flags & IORING_CQE_F_SOCK_NONEMPTY) ? SockState::nonempty : SockState::drained);
    ctx_.completed.completed(*op, cqe.res, cqe.flags);
}

FeatureSet UringBackend::fast_paths() const noexcept {
    FeatureSet s;
    if (setup_flags_ & IORING_SETUP_DEFER_TASKRUN) s.add(Feature::defer_taskrun);
    if (setup_flags_ & IORING_SETUP_COOP_TASKRUN) s.add(Feature::coop_taskrun);
    if (multishot_accept_) s.add(Feature::multishot_accept);
    if (speculative_send_) s.add(Feature::speculative_send);
    if (no_iowait_) s.add(Feature::no_iowait);
    // Registered for each block_on (the registration is per thread).
    if (allowed_.has(Feature::registered_ring_fd) && !ring_fd_refused_) s.add(Feature::registered_ring_fd);
    if (buf_ring_allowed_ && (!buf_ring_decided_ || buf_ring_)) s.add(Feature::buf_ring);
    if (multishot_recv_allowed_ && (!buf_ring_decided_ || multishot_recv_)) {
        s.add(Feature::multishot_recv);
        s.add(Feature::multishot_recv_limit);
    }
    return s;
}

void UringBackend::wake() noexcept {
    // One write per sleep is enough; the flag keeps a busy loop from being
    // woken by every caller (Go's netpollWakeSig). Async-signal-safe.
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    int saved_errno = errno;  // a signal handler must leave errno as it found it
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    errno = saved_errno;
}

}  // namespace ringo::detail
