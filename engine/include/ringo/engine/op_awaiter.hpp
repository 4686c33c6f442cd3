// OpAwaiter: the awaitable form of one Op. It takes a slot from the current
// runtime's pool, hands it to the backend when awaited, and gives back the raw
// result (CQE convention). If the awaiting frame is destroyed while the op is
// in flight, the destructor abandons the op to the engine, which cancels it
// and waits for the kernel's answer before the frame's memory (which may hold
// the op's buffer) is released.
#pragma once

#include <ringo/engine/op.hpp>

#include <cerrno>
#include <coroutine>
#include <cstdint>
#include <utility>

namespace ringo::detail {

class Core;

// Results outside the errno range (the kernel never returns below -4095),
// for conditions that are not kernel errors.
inline constexpr int err_no_runtime = -4096 - 1;   // no runtime on this thread
inline constexpr int err_deadline = -4096 - 2;     // a deadline expired
inline constexpr int err_no_memory = -ENOMEM;

Core* current_core() noexcept;
Op* acquire_op(Core* core) noexcept;
// Starts op; false when it completed at once (do not suspend).
bool start_op(Core* core, Op* op, std::coroutine_handle<> waiter) noexcept;
void release_op(Core* core, Op* op) noexcept;
// Frees an op whose result nobody will read; an fd it produced is closed.
void discard_op(Core* core, Op* op) noexcept;
// The waiter is gone while op is in flight: cancel, wait for the kernel, free.
void abandon_op(Core* core, Op* op) noexcept;
// Cancel an in-flight op; it still completes through the normal path.
void cancel_op(Core* core, Op* op, CancelReason reason) noexcept;
// Changes the deadline of an op, in flight or not (0 = none).
void set_op_deadline(Core* core, Op* op, std::int64_t deadline_ns) noexcept;
// Gives a borrowed read buffer back to core's pool.
void give_back_buffer(Core* core, std::uint32_t bid) noexcept;
std::int64_t now_ns() noexcept;

class [[nodiscard]] OpAwaiter {
public:
    OpAwaiter(OpKind kind, int fd) noexcept : core_(current_core()) {
        if (core_ && (op_ = acquire_op(core_))) {
            op_->kind = kind;
            op_->fd = fd;
        }
    }
    OpAwaiter(OpAwaiter&& o) noexcept : core_(o.core_), op_(std::exchange(o.op_, nullptr)) {}
    OpAwaiter(const OpAwaiter&) = delete;
    OpAwaiter& operator=(const OpAwaiter&) = delete;
    OpAwaiter& operator=(OpAwaiter&&) = delete;
    ~OpAwaiter() {
        if (!op_) return;
        if (is_pending(op_->state)) abandon_op(core_, op_);
        else discard_op(core_, op_);  // done but never resumed, or never started
    }

    // nullptr when there is no runtime or no memory; the await then fails.
    Op* op() noexcept { return op_; }

    bool await_ready() const noexcept { return op_ == nullptr; }
    bool await_suspend(std::coroutine_handle<> h) noexcept { return start_op(core_, op_, h); }
    int await_resume() noexcept {
        if (!op_) return core_ ? err_no_memory : err_no_runtime;
        int r = op_->result;
        release_op(core_, std::exchange(op_, nullptr));
        return r;
    }

protected:
    Core* core_;
    Op* op_ = nullptr;
};

// An OpAwaiter whose raw result is turned into something else (a Result) by
// Map, a stateless callable or a small value type. No coroutine frame.
template <class Map>
class [[nodiscard]] MappedOp : public OpAwaiter {
public:
    MappedOp(OpKind kind, int fd, Map map) noexcept : OpAwaiter(kind, fd), map_(std::move(map)) {}
    auto await_resume() noexcept(noexcept(std::declval<Map&>()(0))) { return map_(OpAwaiter::await_resume()); }

private:
    Map map_;
};

}  // namespace ringo::detail
