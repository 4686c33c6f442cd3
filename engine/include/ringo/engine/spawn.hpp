// spawn(): Go's `go` statement. The task starts on the current runtime's next
// loop turn, in a cancellation scope of its own. The returned JoinHandle can
// be awaited (join), cancelled, or dropped (the task runs on, detached).
// A detached task that ends with an exception is reported through the
// runtime's hook and does not stop the runtime.
#pragma once

#include <ringo/engine/cancel_scope.hpp>
#include <ringo/engine/frame_allocator.hpp>
#include <ringo/engine/op_awaiter.hpp>
#include <ringo/engine/pending_ops.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/task.hpp>

#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace ringo {

namespace detail {

// Shared by the running task and its JoinHandle; freed when both let go.
struct SpawnStateBase {
    CancelScope scope;
    Core* core = nullptr;
    std::coroutine_handle<> root{};  // the wrapper frame, while it lives
    PendingOps joiner;               // the wait op of whoever joins
    std::exception_ptr error;
    SpawnStateBase* prev = nullptr;  // the runtime's list of live tasks
    SpawnStateBase* next = nullptr;
    void (*destroy)(SpawnStateBase*) noexcept = nullptr;
    unsigned refs = 2;               // the task and the handle
    bool done = false;
    bool detached = false;
    bool error_observed = false;

    void release() noexcept {
        if (--refs == 0) destroy(this);
    }
};

template <class T>
struct SpawnState final : SpawnStateBase {
    std::optional<T> value;
};
template <>
struct SpawnState<void> final : SpawnStateBase {};

// Runtime hooks (engine/src/spawn.cpp).
void spawn_start(Core* core, SpawnStateBase* st, std::coroutine_handle<> root);
void spawn_finished(SpawnStateBase* st) noexcept;
void spawn_detach(SpawnStateBase* st) noexcept;
void cancel_scope(Core* core, CancelScope* scope, CancelReason reason) noexcept;

// The frame that runs a spawned Task and records how it ended. It destroys
// itself at the end (suspend_never), after telling the state.
struct SpawnRoot {
    struct promise_type : PooledFrame {
        SpawnRoot get_return_object() noexcept {
            return {std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }  // run_spawned catches all
    };
    std::coroutine_handle<promise_type> handle;
};

template <class T>
SpawnRoot run_spawned(Task<T> task, SpawnState<T>* st) {
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(task);
        } else {
            st->value.emplace(co_await std::move(task));
        }
    } catch (...) {
        st->error = std::current_exception();
    }
    spawn_finished(st);
}

}  // namespace detail

class Runtime;

template <class T>
class [[nodiscard]] JoinHandle {
public:
    JoinHandle() noexcept = default;
    explicit JoinHandle(detail::SpawnState<T>* st) noexcept : st_(st) {}
    JoinHandle(JoinHandle&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
    JoinHandle& operator=(JoinHandle&& o) noexcept {
        if (this != &o) {
            detach();
            st_ = std::exchange(o.st_, nullptr);
        }
        return *this;
    }
    ~JoinHandle() { detach(); }

    bool valid() const noexcept { return st_ != nullptr; }
    bool done() const noexcept { return st_ && st_->done; }

    // Asks the task to stop: the op it waits on fails with
    // operation_canceled, and so does every op it starts afterwards.
    void cancel() noexcept {
        if (st_ && !st_->done) detail::cancel_scope(st_->core, &st_->scope, CancelReason::canceled);
    }

    // Let the task run on its own; an exception it ends with is reported.
    void detach() noexcept {
        if (st_) detail::spawn_detach(std::exchange(st_, nullptr));
    }

    // Join: the task's value, its exception rethrown, or operation_canceled
    // when the joining task itself is cancelled while it waits.
    auto operator co_await() & noexcept { return Joiner{st_, detail::OpAwaiter(OpKind::wait, -1)}; }
    auto operator co_await() && noexcept { return Joiner{st_, detail::OpAwaiter(OpKind::wait, -1)}; }

private:
    friend class Runtime;
    struct Joiner {
        detail::SpawnState<T>* st;
        detail::OpAwaiter wait;

        bool await_ready() const noexcept { return !st || st->done; }
        bool await_suspend(std::coroutine_handle<> h) noexcept {
            auto* op = wait.op();
            if (!op) return false;
            st->joiner.link(op);
            return wait.await_suspend(h);
        }
        Result<T> await_resume() {
            if (!st) return Result<T>(Error(errc::operation_canceled, "join: empty handle"));
            if (!st->done) {
                int r = wait.await_resume();
                if (!st->done)
                    return Result<T>(Error(r == detail::err_deadline ? errc::timed_out : errc::operation_canceled, "join"));
            }
            if (st->error) {
                st->error_observed = true;
                std::rethrow_exception(st->error);
            }
            if constexpr (std::is_void_v<T>) {
                return Result<void>();
            } else {
                return Result<T>(std::move(*st->value));
            }
        }
    };

    detail::SpawnState<T>* st_ = nullptr;
};

// Starts task on the calling thread's runtime. Outside a runtime it throws
// std::logic_error: there is nothing to run it on.
template <class T>
JoinHandle<T> spawn(Task<T> task) {
    auto* core = detail::current_core();
    if (!core) throw std::logic_error("ringo::spawn called outside Runtime::block_on");
    auto* st = new detail::SpawnState<T>();
    st->destroy = [](detail::SpawnStateBase* b) noexcept { delete static_cast<detail::SpawnState<T>*>(b); };
    auto root = detail::run_spawned<T>(std::move(task), st);
    detail::spawn_start(core, st, root.handle);
    return JoinHandle<T>(st);
}

}  // namespace ringo
