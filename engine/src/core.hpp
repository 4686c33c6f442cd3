// Core: the scheduler behind a Runtime. It owns the op slab, the ready queue,
// the timer heap, the list of live tasks and the backend, and it is the one
// place where an op's state (OpState, drawn in docs/architecture.md)
// changes.
//
// Backends call complete() exactly once per started op (the final
// completion); the core decides whether to resume a waiter, run a hook, or
// (abandoned ops) close the fds the result carries and free the slot.
// Completions never resume coroutines directly: they queue them, so a
// backend is never re-entered from user code.
#pragma once

#include "engine/backend/backend_context.hpp"
#include "engine/backend/buf_pool.hpp"
#include "engine/backend/completion_list.hpp"
#include "engine/backend/io_backend.hpp"
#include "engine/backend/op_pool.hpp"
#include "engine/backend/op_queue.hpp"
#include "engine/src/fd_epochs.hpp"
#include "engine/src/ready_queue.hpp"
#include "engine/src/timer_heap.hpp"

#include <ringo/engine/cancel_scope.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/runtime_options.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/stats.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace ringo {
class Runtime;
}

namespace ringo::detail {

class Core {
public:
    // Checks the options; the backend comes after (attach), built outside
    // the core from backend_context() (engine/runtime/backend_factory).
    static Result<std::unique_ptr<Core>> create(RuntimeOptions options);
    BackendContext backend_context() noexcept { return {pool_, buffers_, stats_, completed_, options_}; }
    void attach(std::unique_ptr<IoBackend> backend, std::string fallback_reason) noexcept;
    ~Core();
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    // --- ops ---
    Op* acquire() noexcept;
    void release(Op* op) noexcept {
        if (op->buf_id >= 0) give_back_buffer(static_cast<std::uint32_t>(op->buf_id));
        pool_.release(op);
    }
    bool start(Op* op, std::coroutine_handle<> waiter) noexcept;
    // Starts an op nobody waits for (RAII close); the slot frees itself.
    void start_detached(Op* op) noexcept;
    void complete(Op& op, int result, std::uint32_t flags) noexcept;
    // An fd opened outside the backend (io::opened): the backend forgets
    // what it knew of an earlier file under that number.
    void fd_opened(int fd) noexcept;
    void cancel(Op* op, CancelReason reason) noexcept;
    void abandon(Op* op) noexcept;
    void set_deadline(Op* op, std::int64_t deadline_ns) noexcept;

    // --- pooled reads (OpKind::recv_pooled) ---
    BufPool& buffers() noexcept { return buffers_; }
    // A lent buffer comes back: into circulation again, and a read waiting
    // for one may go.
    void give_back_buffer(std::uint32_t bid) noexcept;

    // --- loop ---
    void turn();
    // Cancels every task, runs until all have ended and no op is in flight.
    void drain();
    // The ready queue always has room for one entry per op slot and per
    // live task, so queuing a waiter never allocates, and never fails.
    void schedule(std::coroutine_handle<> h, CancelScope* scope) noexcept { ready_.push({h, scope}); }
    // Ignored while no block_on runs: a stray stop() must not end the next.
    void request_stop() noexcept;
    // block_on begins and ends on this thread. enter() fails (an errno;
    // backend().thread_error says why) when the backend cannot run here.
    int enter() noexcept;
    void leave() noexcept;
    // The loop cannot go on: the kernel wait failed for good (wait_error()
    // says how), or stop() left only tasks waiting on what nothing delivers.
    bool halted() const noexcept { return wait_error_ != 0 || stalled_; }
    int wait_error() const noexcept { return wait_error_; }
    // block_on's task: once it is done, the loop stops waiting on the kernel.
    void set_root(const bool* root_done) noexcept { root_done_ = root_done; }
    bool stopping() const noexcept { return stopping_; }

    // --- tasks ---
    // Fails (false) only when the ready queue cannot grow to hold the task.
    bool add_task(SpawnStateBase* st) noexcept;
    void remove_task(SpawnStateBase* st) noexcept;
    void cancel_scope(CancelScope* scope, CancelReason reason) noexcept;
    // The nearest cancelled scope from `scope` up refused an op.
    void mark_cut(CancelScope* scope) noexcept;
    void report_exception(std::exception_ptr e) noexcept;
    void log(std::string_view line) noexcept;

    IoBackend& backend() noexcept { return *backend_; }
    Stats& stats() noexcept { return stats_; }
    const RuntimeOptions& options() const noexcept { return options_; }
    const std::string& fallback_reason() const noexcept { return fallback_reason_; }
    std::uint32_t ops_in_use() const noexcept { return pool_.in_use(); }

private:
    explicit Core(RuntimeOptions options);
    void run_ready();
    bool can_progress() const noexcept;
    void fire_timers() noexcept;
    std::int64_t wait_timeout() noexcept;
    bool start_user_op(Op* op) noexcept;
    bool done_inline(Op* op) noexcept;
    bool hold_for_backoff(Op& op, int result) noexcept;
    bool arm_backoff_timer(Op& op) noexcept;
    void unlink_backoff(Op& op) noexcept;
    void clear_owner(Op* op) noexcept;
    bool reserve_ready() noexcept;
    void cancel_user_op(Op* op, CancelReason reason) noexcept;
    void destroy_leftover_tasks() noexcept;
    int prepare_pooled(Op& op) noexcept;
    bool settle_pooled(Op& op, int result) noexcept;
    void grow_buffers() noexcept;
    void unlink_buffer_waiter(Op* op) noexcept;
    void cancel_held_ops(int fd) noexcept;
    void note_carried_fds(const Op& op) noexcept;
    void restart_buffer_waiters() noexcept;
    void park_for_buffer(Op& op) noexcept;
    bool finish(Op& op, int result, std::uint32_t flags) noexcept;
    void abandon_in_backend(Op* op) noexcept;
    // Calls into the backend, each followed by settle(): what it handed
    // back in completed_ is finished before the core goes on.
    bool backend_start(Op& op) noexcept;
    void backend_cancel(Op& op) noexcept;
    int backend_poll(std::int64_t timeout_ns) noexcept;
    void settle() noexcept;
    // For backends that learn readiness (epoll, io_uring without a buffer
    // ring): the fd of an in-flight recv_pooled is readable. Instead of
    // reading now, while every other readable fd also takes a buffer before
    // any task has run, the core restarts the op right before it resumes
    // the task; a task that sends and drops its buffer at once hands the
    // same buffer to the next. The op stays in flight until then.
    void deliver_readable(Op& op) noexcept;
    void push_resume(Op& op) noexcept;
    Op* op_to_resume(std::uint64_t user_data) noexcept;

    RuntimeOptions options_;
    std::string fallback_reason_;
    // Before backend_: the backend's buffer ring points into it.
    BufPool buffers_;
    std::unique_ptr<IoBackend> backend_;
    OpPool pool_;
    CompletionList completed_;  // what the backend handed back, not yet finished
    ReadyQueue ready_;
    TimerHeap timers_;
    Stats stats_;
    SpawnStateBase* tasks_ = nullptr;  // live spawned tasks
    std::uint32_t live_tasks_ = 0;
    std::uint32_t kernel_in_flight_ = 0;  // includes reads waiting for a buffer
    // Pooled reads that found no free buffer, in arrival order.
    OpQueue buf_waiters_;
    FdEpochs fd_epochs_;
    // Accepts held for their listener's back-off, and each listener fd's
    // back-off level: consecutive failures for want of fds.
    OpQueue backing_off_;
    std::vector<std::uint8_t> backoff_level_;
    // Ops one resume of a task may complete in place before the task goes
    // to the back of the queue (tokio's coop budget is 128 too): a
    // connection whose socket always holds data, or an accept that fails at
    // once, would otherwise keep its task running and the loop from turning.
    static constexpr int coop_budget = 128;
    int budget_ = coop_budget;  // what the running resume has left
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> running_{false};
    int wait_error_ = 0;
    bool stalled_ = false;
    bool stopping_ = false;
    const bool* root_done_ = nullptr;

public:
    CancelScope* current_scope = nullptr;  // scope of the code running now
    Runtime* owner = nullptr;              // the Runtime this core serves
};

// Set while a Runtime's block_on runs on this thread.
extern thread_local Core* tls_core;

}  // namespace ringo::detail
