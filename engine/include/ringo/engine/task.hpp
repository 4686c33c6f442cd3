// Task<T>: a lazy, move-only coroutine. Nothing runs until it is awaited (or
// spawned). The value, or the exception, is handed to the awaiter.
//
// Stack depth. Awaiting a task resumes it inside await_suspend; if it
// finishes before suspending, await_suspend returns false and the awaiter
// simply continues, so a loop of a million synchronously completing awaits
// runs at constant depth. Only a task that really suspended hands control
// back through symmetric transfer from final_suspend. We do not lean on
// symmetric transfer alone: g++ turns it into a tail call only at -O2, and
// debug and sanitizer builds would overflow the stack.
#pragma once

#include <ringo/engine/frame_allocator.hpp>

#include <coroutine>
#include <exception>
#include <stdexcept>
#include <utility>
#include <variant>

namespace ringo {

template <class T = void>
class Task;

namespace detail {

struct TaskPromiseBase : PooledFrame {
    std::coroutine_handle<> continuation{};
    bool running_inline = false;   // inside the awaiter's await_suspend
    bool finished_inline = false;  // reached final_suspend while it was

    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            auto& p = h.promise();
            if (p.running_inline) {
                p.finished_inline = true;  // the awaiter continues on its own
                return std::noop_coroutine();
            }
            if (auto c = p.continuation) return c;
            return std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
};

template <class T>
struct TaskPromise final : TaskPromiseBase {
    std::variant<std::monostate, T, std::exception_ptr> result;

    Task<T> get_return_object() noexcept;
    void unhandled_exception() noexcept { result.template emplace<2>(std::current_exception()); }
    template <class U>
    void return_value(U&& v) {
        result.template emplace<1>(std::forward<U>(v));
    }
    T take() {
        if (result.index() == 2) std::rethrow_exception(std::get<2>(result));
        return std::move(std::get<1>(result));
    }
};

template <>
struct TaskPromise<void> final : TaskPromiseBase {
    std::exception_ptr error;

    Task<void> get_return_object() noexcept;
    void unhandled_exception() noexcept { error = std::current_exception(); }
    void return_void() noexcept {}
    void take() {
        if (error) std::rethrow_exception(error);
    }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::TaskPromise<T>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    Task() noexcept = default;
    explicit Task(handle_type h) noexcept : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { reset(); }

    bool valid() const noexcept { return static_cast<bool>(h_); }

    auto operator co_await() && noexcept {
        struct Awaiter {
            handle_type h;
            bool await_ready() const noexcept { return !h; }
            bool await_suspend(std::coroutine_handle<> awaiting) noexcept {
                auto& p = h.promise();
                p.continuation = awaiting;
                p.running_inline = true;
                h.resume();
                p.running_inline = false;
                return !p.finished_inline;
            }
            T await_resume() {
                if (!h) throw std::logic_error("ringo::Task: awaiting an empty task");
                return h.promise().take();
            }
        };
        return Awaiter{h_};
    }

    // For the runtime: hand over the frame without running it.
    handle_type release() noexcept { return std::exchange(h_, {}); }

private:
    void reset() noexcept {
        if (h_) std::exchange(h_, {}).destroy();
    }
    handle_type h_{};
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
    return Task<T>{std::coroutine_handle<TaskPromise<T>>::from_promise(*this)};
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
    return Task<void>{std::coroutine_handle<TaskPromise<void>>::from_promise(*this)};
}
}  // namespace detail

}  // namespace ringo
