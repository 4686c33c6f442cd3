#include "engine/src/core.hpp"

#include "engine/backend/op_traits.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace ringo::detail {

thread_local Core* tls_core = nullptr;

namespace {
// Resumes handed out per turn before the loop looks at the kernel again, so
// a burst of ready tasks cannot starve I/O.
constexpr std::size_t max_resumes_per_turn = 1024;
// What a kernel wait may say and still work next time.
bool is_transient_wait_error(int r) noexcept { return r == -EINTR || r == -ETIME || r == -EAGAIN || r == -EBUSY; }

bool is_user_kind(OpKind k) noexcept { return traits(k).user_space; }
}  // namespace

std::int64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Core::Core(RuntimeOptions options) : options_(std::move(options)), buffers_(options_.read_buffers) {}

namespace {
// Options out of range are refused here, naming the option and its range,
// rather than failing later (a first borrowed read) or falling back.
Result<void> check_options(const RuntimeOptions& o) {
    auto bad = [](const char* name, std::uint64_t value, std::uint64_t lo, std::uint64_t hi) {
        return Result<void>(std::make_error_code(std::errc::invalid_argument),
                            fmt::format("RuntimeOptions::{} = {}: must be {} to {}", name, value, lo, hi));
    };
    // Two: io_uring's close is a linked pair of entries in one submission.
    if (o.queue_depth < 2 || o.queue_depth > 32768) return bad("queue_depth", o.queue_depth, 2, 32768);
    const auto& b = o.read_buffers;
    if (b.size < 1 || b.size > BufPool::max_size) return bad("read_buffers.size", b.size, 1, BufPool::max_size);
    if (b.count < 1 || b.count > BufPool::max_count) return bad("read_buffers.count", b.count, 1, BufPool::max_count);
    if (b.initial < 1 || b.initial > b.count) return bad("read_buffers.initial", b.initial, 1, b.count);
    return {};
}
}  // namespace

Result<std::unique_ptr<Core>> Core::create(RuntimeOptions options) {
    if (auto ok = check_options(options); !ok) return ok.error_info();
    return std::unique_ptr<Core>(new Core(std::move(options)));
}

void Core::attach(std::unique_ptr<IoBackend> backend, std::string fallback_reason) noexcept {
    backend_ = std::move(backend);
    fallback_reason_ = std::move(fallback_reason);
    if (!fallback_reason_.empty()) log(fmt::format("ringo: io_uring unavailable, using epoll: {}", fallback_reason_));
}

Core::~Core() {
    // block_on drains before it returns; this covers a Runtime destroyed
    // after a block_on that threw.
    if (!backend_) return;
    drain();
    destroy_leftover_tasks();
    drain();  // closes started by the frames destroyed just now
    // Now, while the slab, the pool and the stats it points to still exist:
    // its teardown may still reap completions.
    backend_.reset();
}

bool Core::backend_start(Op& op) noexcept {
    const bool done = backend_->start(op);
    settle();
    return done;
}

void Core::backend_cancel(Op& op) noexcept {
    backend_->cancel(op);
    settle();
}

int Core::backend_poll(std::int64_t timeout_ns) noexcept {
    const int r = backend_->poll(timeout_ns);
    settle();
    return r;
}

void Core::fd_opened(int fd) noexcept {
    fd_epochs_.bump(fd);
    backend_->fd_opened(fd);
    settle();
}

// What the backend handed back. Nested calls (a completion's hook cancels
// another op) take from the same list: every entry is finished once.
void Core::settle() noexcept {
    while (Op* op = completed_.pop()) {
        if (op->notice == Op::Notice::readable) deliver_readable(*op);
        else complete(*op, op->result, op->completion_flags);
    }
}

// --- ops -------------------------------------------------------------------

bool Core::start(Op* op, std::coroutine_handle<> waiter) noexcept {
    op->waiter = waiter;
    op->scope = current_scope;
    ++stats_.submitted[static_cast<std::size_t>(op->kind)];

    // A close always runs: it is how a cancelled task releases its fd, and
    // refusing it would leak the fd.
    const bool cleanup = op->kind == OpKind::close;
    if (cleanup) cancel_held_ops(op->fd);
    CancelReason reason = current_scope && !cleanup ? current_scope->effective_reason() : CancelReason::none;
    if (reason == CancelReason::none && stopping_ && !cleanup) reason = CancelReason::canceled;
    int early = 0;
    if (reason != CancelReason::none) {
        early = reason == CancelReason::timed_out ? err_deadline : -ECANCELED;
        mark_cut(current_scope);
    }
    else if (op->deadline_ns != 0 && op->kind != OpKind::timeout && op->deadline_ns <= now_ns())
        early = err_deadline;
    else if (op->kind == OpKind::recv_pooled)
        early = prepare_pooled(*op);
    if (early != 0) {
        op->result = early;
        return done_inline(op);
    }

    op->state = OpState::in_flight;
    if (is_user_kind(op->kind)) {
        if (!start_user_op(op)) return done_inline(op);
    } else {
        bool done = false;
        if (op->kind == OpKind::recv_pooled && !buf_waiters_.empty() && !backend_->holds_data_for(*op)) {
            // Reads wait for buffers in arrival order: a newcomer queues
            // behind the waiting ones instead of racing them to the next
            // free buffer (on io_uring its SQE would go first and win). One
            // whose bytes are already in hand needs no new buffer.
            park_for_buffer(*op);
        } else {
            done = backend_start(*op);
        }
        if (done && !(op->kind == OpKind::recv_pooled && settle_pooled(*op, op->result)) &&
            !(op->kind == OpKind::accept && hold_for_backoff(*op, op->result)))
            return done_inline(op);
        ++kernel_in_flight_;  // in flight, or parked until a buffer is free
        if (op->deadline_ns != 0) {
            try {
                timers_.push(op);
            } catch (...) {
                // No memory for the deadline: fail the op rather than lose it.
                cancel(op, CancelReason::timed_out);
            }
        }
    }
    if (op->scope) op->scope->current_op = op;
    return true;
}

// An op that completed during start. The task usually runs on at once; when
// this resume has spent its budget on such ops, it is queued behind
// everything else instead, and the loop gets to turn.
bool Core::done_inline(Op* op) noexcept {
    note_carried_fds(*op);
    op->state = OpState::done;
    clear_owner(op);  // e.g. a join's wait op: its task must not complete it later
    ++stats_.completed[static_cast<std::size_t>(op->kind)];
    ++stats_.ops_inline;
    if (!op->waiter || --budget_ > 0) return false;
    ++stats_.coop_yields;
    push_resume(*op);
    return true;
}

Op* Core::acquire() noexcept {
    Op* op = pool_.acquire();
    if (op && !reserve_ready()) {
        pool_.release(op);
        return nullptr;
    }
    return op;
}

bool Core::reserve_ready() noexcept { return ready_.reserve(pool_.capacity() + live_tasks_ + 1); }

void Core::clear_owner(Op* op) noexcept { unlink_owner(op); }

void Core::start_detached(Op* op) noexcept {
    if (op->kind == OpKind::close) cancel_held_ops(op->fd);
    op->state = OpState::abandoned;
    ++stats_.submitted[static_cast<std::size_t>(op->kind)];
    if (backend_start(*op)) {
        ++stats_.completed[static_cast<std::size_t>(op->kind)];
        pool_.release(op);
        return;
    }
    ++kernel_in_flight_;
}

// False when the op completed at once (op.result says how).
bool Core::start_user_op(Op* op) noexcept {
    if (op->kind == OpKind::timeout && op->deadline_ns <= now_ns() && !(op->hints & op_hint::after_poll)) {
        op->result = 0;
        return false;
    }
    // wait: completed by whoever it waits for (see spawn.cpp); a deadline
    // bounds it like any op.
    if (op->kind == OpKind::timeout || op->deadline_ns != 0) {
        try {
            timers_.push(op);
        } catch (...) {
            op->result = -ENOMEM;
            return false;
        }
    }
    return true;
}

void Core::complete(Op& op, int result, std::uint32_t flags) noexcept {
    // Capacity was reserved when the op's slot was made (acquire), so this
    // push cannot fail: a completion never runs user code in a backend.
    if (finish(op, result, flags)) push_resume(op);
}

// The final completion's bookkeeping. True when the waiter is to be resumed.
bool Core::finish(Op& op, int result, std::uint32_t flags) noexcept {
    if (op.kind == OpKind::recv_pooled && settle_pooled(op, result)) return false;  // parked, still in flight
    if (op.kind == OpKind::accept && hold_for_backoff(op, result)) {
        timers_.remove(&op);
        if (arm_backoff_timer(op)) return false;
    }
    if (!is_user_kind(op.kind)) --kernel_in_flight_;
    ++stats_.completed[static_cast<std::size_t>(op.kind)];
    timers_.remove(&op);
    clear_owner(&op);
    if (op.scope && op.scope->current_op == &op) op.scope->current_op = nullptr;
    if (result == -ECANCELED && op.cancel_reason == CancelReason::timed_out) result = err_deadline;
    op.result = result;
    op.completion_flags = flags;
    note_carried_fds(op);
    const bool nobody_waits = op.state == OpState::abandoned;
    op.state = OpState::done;

    if (nobody_waits) {
        // Nobody will look at this result: an fd it brought in would leak.
        close_carried_fds(op);
        release(&op);
        return false;
    }
    if (op.on_complete) {
        op.on_complete(&op);
        return false;
    }
    return true;
}

void Core::cancel(Op* op, CancelReason reason) noexcept {
    switch (op->state) {
    case OpState::idle:
    case OpState::done:
    case OpState::abandoned: return;  // nothing to stop, or stopped already
    default: break;
    }
    if (op->cancel_reason == CancelReason::none) op->cancel_reason = reason;
    ++stats_.ops_canceled;
    switch (op->state) {
    case OpState::readable:
        // Its ready-queue entry is still to come and resumes the task.
        finish(*op, -ECANCELED, 0);
        return;
    case OpState::buffer_wait:  // the kernel holds nothing of it
        unlink_buffer_waiter(op);
        complete(*op, -ECANCELED, 0);
        return;
    case OpState::backing_off:  // nor of a held accept
        unlink_backoff(*op);
        complete(*op, -ECANCELED, 0);
        return;
    default:
        if (is_user_kind(op->kind)) cancel_user_op(op, reason);
        else backend_cancel(*op);
        return;
    }
}

void Core::cancel_user_op(Op* op, CancelReason reason) noexcept {
    complete(*op, reason == CancelReason::timed_out ? err_deadline : -ECANCELED, 0);
}

void Core::abandon(Op* op) noexcept {
    op->waiter = {};
    op->on_complete = nullptr;
    if (op->scope && op->scope->current_op == op) op->scope->current_op = nullptr;
    op->scope = nullptr;
    clear_owner(op);
    const OpState was = op->state;
    op->state = OpState::abandoned;
    switch (was) {
    case OpState::buffer_wait: unlink_buffer_waiter(op); break;
    case OpState::backing_off: unlink_backoff(*op); break;
    case OpState::readable: break;  // its queued entry finds the slot moved on
    case OpState::in_flight:
        if (is_user_kind(op->kind)) break;
        // The op may name memory in the frame being destroyed (a recv
        // buffer): the frame must not go until the kernel has let go. Cancel,
        // then turn the backend until this slot's final completion has been
        // reaped. Other completions reaped meanwhile are only queued, never
        // resumed here.
        abandon_in_backend(op);
        return;
    default: op->state = was; return;  // not pending: nothing to abandon
    }
    // Held by the core (or the timer heap), not the kernel: done at once,
    // which frees the slot.
    ++stats_.ops_canceled;
    finish(*op, -ECANCELED, 0);
}

void Core::abandon_in_backend(Op* op) noexcept {
    const auto ud = OpPool::user_data(*op);
    backend_cancel(*op);
    ++stats_.ops_canceled;
    while (pool_.lookup(ud) == op) {
        int r = backend_poll(-1);
        if (r < 0 && !is_transient_wait_error(r)) {
            log(fmt::format("ringo: backend wait failed while abandoning an op: {}", std::strerror(-r)));
            break;
        }
    }
}

void Core::set_deadline(Op* op, std::int64_t deadline_ns) noexcept {
    op->deadline_ns = deadline_ns;
    // A held accept's timer is its back-off's: the held error returns when
    // that ends.
    if (!is_pending(op->state) || op->state == OpState::abandoned || op->state == OpState::backing_off) return;
    timers_.remove(op);
    if (deadline_ns == 0) return;
    if (deadline_ns <= now_ns()) {
        cancel(op, CancelReason::timed_out);
        return;
    }
    try {
        timers_.push(op);
    } catch (...) {
        cancel(op, CancelReason::timed_out);
    }
}

// Close cancels first, wherever an op waits: the backend cancels what the
// kernel or a poll descriptor holds, and this cancels what the core holds
// (reads parked for a buffer, accepts backing off, reads handed back on
// readiness), so no op outlives its file and later runs on the next file
// given the same number.
void Core::cancel_held_ops(int fd) noexcept {
    for (OpQueue* held : {&buf_waiters_, &backing_off_}) {
        for (Op* op = held->front(); op;) {
            Op* next = op->next;
            if (op->fd == fd) cancel(op, CancelReason::canceled);
            op = next;
        }
    }
    // Readable reads are not in a list: the epoch tells them at their turn.
    fd_epochs_.bump(fd);
    // A new file will get this number: it starts with no back-off.
    if (fd >= 0 && static_cast<std::size_t>(fd) < backoff_level_.size()) backoff_level_[fd] = 0;
}

// Fds a completion brought in are new files under their numbers, for the
// core and for the backend alike.
void Core::note_carried_fds(const Op& op) noexcept {
    if (traits(op.kind).fds == FdsCarried::none || op.result < 0) return;
    for_each_carried_fd(op, [this](int fd) { fd_opened(fd); });
}

void Core::push_resume(Op& op) noexcept {
    ReadyItem item{};
    item.op = OpPool::user_data(op);
    ready_.push(item);
}

// The op of a queued entry when its waiter is to resume: done, or readable
// and read just now. nullptr when the slot has moved on (the waiter's frame
// was destroyed), or the read found nothing after all and is back with the
// backend, or parked for a buffer.
Op* Core::op_to_resume(std::uint64_t user_data) noexcept {
    Op* op = pool_.lookup(user_data);
    if (!op) return nullptr;
    if (op->state == OpState::readable) {
        op->state = OpState::in_flight;
        if (fd_epochs_.moved(op->fd, op->fd_epoch)) {
            // Closed since it was readable: canceled like any op on its fd.
            finish(*op, -ECANCELED, 0);
        } else if (!backend_start(*op) || !finish(*op, op->result, 0)) {
            return nullptr;
        }
    }
    return op->state == OpState::done && op->waiter ? op : nullptr;
}

// --- loop ------------------------------------------------------------------

void Core::run_ready() {
    // Only what was ready when the turn began: what these resumes make ready
    // (a task that spent its budget, a waiter it signalled) runs after the
    // kernel and the timers have had their turn, so no chain of work that
    // completes in place can keep them waiting.
    for (std::size_t n = std::min(ready_.size(), max_resumes_per_turn); n > 0; --n) {
        auto item = ready_.pop();
        budget_ = coop_budget;
        if (!item.handle) {
            Op* op = op_to_resume(item.op);
            if (!op) continue;
            current_scope = op->scope;
            op->waiter.resume();
            continue;
        }
        current_scope = item.scope;
        item.handle.resume();
    }
    current_scope = nullptr;
}

std::int64_t Core::wait_timeout() noexcept {
    if (!ready_.empty() || (root_done_ && *root_done_) || (!buf_waiters_.empty() && buffers_.free() > 0) ||
        (stop_requested_.load(std::memory_order_relaxed) && !stopping_))
        return 0;
    if (timers_.empty()) return -1;
    auto d = timers_.top()->deadline_ns - now_ns();
    return d > 0 ? d : 0;
}

void Core::fire_timers() noexcept {
    if (timers_.empty()) return;
    auto now = now_ns();
    while (!timers_.empty() && timers_.top()->deadline_ns <= now) {
        Op* op = timers_.top();
        timers_.remove(op);
        if (op->kind == OpKind::timeout) {
            complete(*op, 0, 0);
        } else if (op->state == OpState::backing_off) {
            unlink_backoff(*op);
            complete(*op, op->result, 0);
        } else {
            cancel(op, CancelReason::timed_out);
        }
    }
}

void Core::turn() {
    ++stats_.loop_turns;
    if (stop_requested_.load(std::memory_order_acquire) && !stopping_) {
        stopping_ = true;
        for (auto* t = tasks_; t; t = t->next) cancel_scope(&t->scope, CancelReason::canceled);
    }
    restart_buffer_waiters();
    run_ready();
    // Stopping, and nothing the loop could still deliver: a task suspended
    // on something the runtime cannot cancel (a user's awaitable) would
    // keep block_on waiting for ever.
    if (stopping_ && !can_progress()) {
        stalled_ = true;
        return;
    }
    int r = backend_poll(wait_timeout());
    if (r < 0 && !is_transient_wait_error(r)) {
        // The kernel wait cannot work any more (a ring used from a thread
        // it does not belong to, say): every later turn would fail the same
        // way, so the loop ends here and block_on reports it.
        wait_error_ = -r;
        log(fmt::format("ringo: {} wait failed: {}; stopping", backend_->name(), std::strerror(-r)));
        return;
    }
    fire_timers();
}

bool Core::can_progress() const noexcept {
    // Timers that resume someone count; deadline scopes' own timers do not
    // (every scope has been cancelled by then).
    return kernel_in_flight_ > 0 || !ready_.empty() || timers_.any([](const Op& op) { return bool(op.waiter); });
}

void Core::drain() {
    stopping_ = true;
    root_done_ = nullptr;  // it no longer cuts the waits short: that would spin
    for (auto* t = tasks_; t; t = t->next) cancel_scope(&t->scope, CancelReason::canceled);
    while (live_tasks_ > 0 || kernel_in_flight_ > 0 || !ready_.empty()) {
        // Ops of tasks suspended on nothing the runtime can cancel keep the
        // count up; cancelling again each turn reaches ops started since.
        for (auto* t = tasks_; t; t = t->next) cancel_scope(&t->scope, CancelReason::canceled);
        run_ready();
        restart_buffer_waiters();
        if (!can_progress()) break;
        int r = backend_poll(wait_timeout());
        if (r < 0 && !is_transient_wait_error(r)) break;
        fire_timers();
    }
    stopping_ = false;
    stalled_ = false;
    stop_requested_.store(false, std::memory_order_relaxed);
}

int Core::enter() noexcept {
    if (int err = backend_->enter_thread(); err != 0) return err;
    // A stop() that came while no block_on ran is not this one's.
    stop_requested_.store(false, std::memory_order_relaxed);
    running_.store(true, std::memory_order_release);
    return 0;
}

void Core::leave() noexcept {
    running_.store(false, std::memory_order_release);
    backend_->leave_thread();
}

void Core::request_stop() noexcept {
    if (!running_.load(std::memory_order_acquire)) return;
    stop_requested_.store(true, std::memory_order_release);
    if (backend_) backend_->wake();
}

// --- tasks -----------------------------------------------------------------

bool Core::add_task(SpawnStateBase* st) noexcept {
    ++live_tasks_;
    if (!reserve_ready()) {
        --live_tasks_;
        return false;
    }
    st->next = tasks_;
    if (tasks_) tasks_->prev = st;
    tasks_ = st;
    ++stats_.tasks_spawned;
    return true;
}

void Core::remove_task(SpawnStateBase* st) noexcept {
    if (st->prev) st->prev->next = st->next;
    else tasks_ = st->next;
    if (st->next) st->next->prev = st->prev;
    st->prev = st->next = nullptr;
    --live_tasks_;
}

void Core::cancel_scope(CancelScope* scope, CancelReason reason) noexcept {
    if (scope->reason == CancelReason::none) scope->reason = reason;
    // Only the innermost active scope has code waiting on an op.
    CancelScope* s = scope;
    while (s->child) s = s->child;
    if (s->current_op) {
        scope->cut = true;
        cancel(s->current_op, reason);
    }
}

void Core::mark_cut(CancelScope* scope) noexcept {
    for (auto* s = scope; s; s = s->parent) {
        if (s->reason == CancelReason::none) continue;
        s->cut = true;
        return;
    }
}

void Core::destroy_leftover_tasks() noexcept {
    // Tasks still suspended on something that never completed (a wait on an
    // event nobody signals). Their frames go; their ops were drained above.
    while (tasks_) {
        auto* st = tasks_;
        remove_task(st);
        st->done = true;
        auto root = std::exchange(st->root, {});
        if (root) root.destroy();
        st->release();
    }
}

void Core::report_exception(std::exception_ptr e) noexcept {
    if (options_.on_task_exception) {
        try {
            options_.on_task_exception(e);
            return;
        } catch (...) {
        }
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        fmt::print(stderr, "ringo: detached task ended with an exception: {}\n", ex.what());
    } catch (...) {
        fmt::print(stderr, "ringo: detached task ended with a non-standard exception\n");
    }
}

void Core::log(std::string_view line) noexcept { BackendContext::log_line(options_, line); }

// --- the public entry points of op_awaiter.hpp ----------------------------

Core* current_core() noexcept { return tls_core; }
Op* acquire_op(Core* core) noexcept { return core->acquire(); }
bool start_op(Core* core, Op* op, std::coroutine_handle<> waiter) noexcept { return core->start(op, waiter); }
void release_op(Core* core, Op* op) noexcept { core->release(op); }
void discard_op(Core* core, Op* op) noexcept {
    // Completed while its frame was being torn down: a connection it took,
    // or fds a message brought, are nobody's and must not outlive the op.
    if (op->state == OpState::done) close_carried_fds(*op);
    // A close never awaited (`s.close();`): its handle already forgot the
    // fd, so the close still runs, detached.
    if (op->state == OpState::idle && op->kind == OpKind::close && op->fd >= 0) {
        core->start_detached(op);
        return;
    }
    core->release(op);
}
void abandon_op(Core* core, Op* op) noexcept { core->abandon(op); }
void cancel_op(Core* core, Op* op, CancelReason reason) noexcept { core->cancel(op, reason); }
void set_op_deadline(Core* core, Op* op, std::int64_t deadline_ns) noexcept { core->set_deadline(op, deadline_ns); }
void give_back_buffer(Core* core, std::uint32_t bid) noexcept { core->give_back_buffer(bid); }

}  // namespace ringo::detail
