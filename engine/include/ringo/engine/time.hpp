// Time: sleeping, and bounding any awaitable by a deadline. Timers live in
// the runtime's user-space heap; the loop's single kernel wait uses the
// earliest one as its timeout, so no timer costs a kernel request.
#pragma once

#include <ringo/engine/cancel_scope.hpp>
#include <ringo/engine/io.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/task.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

namespace ringo {

using Clock = std::chrono::steady_clock;

namespace detail {
// now + d, saturated: a deadline past the clock's range means never
// (Clock::time_point::max()), a negative d means now. Plain now + d
// overflows (undefined) for hours::max() and the like, and wrapped into
// the past: "forever" ended at once.
template <class Rep, class Period>
Clock::time_point deadline_after(std::chrono::duration<Rep, Period> d) noexcept {
    const auto now = Clock::now();
    if (!(d > std::chrono::duration<Rep, Period>::zero())) return now;
    using Wide = std::chrono::duration<long double>;
    if (Wide(d) >= Wide(Clock::time_point::max() - now)) return Clock::time_point::max();
    return now + std::chrono::duration_cast<Clock::duration>(d);
}
}  // namespace detail

// Completes at the deadline; fails with operation_canceled if the task is
// cancelled first.
detail::VoidOp sleep_until(Clock::time_point deadline) noexcept;

template <class Rep, class Period>
detail::VoidOp sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
    return sleep_until(detail::deadline_after(d));
}

// Lets the rest of the loop run before the caller goes on (Go's
// runtime.Gosched): every coroutine ready now runs, the kernel is polled once
// without blocking, and what completed there runs too. Fails with
// operation_canceled if the task is cancelled.
detail::VoidOp yield() noexcept;

namespace detail {

// Opens a child cancellation scope for as long as it lives, with a timer
// that cancels the scope (reason timed_out) at the deadline. Must live in a
// coroutine frame: the runtime points into it while it is active.
class DeadlineScope {
public:
    explicit DeadlineScope(std::int64_t deadline_ns) noexcept;
    ~DeadlineScope();
    DeadlineScope(const DeadlineScope&) = delete;
    DeadlineScope& operator=(const DeadlineScope&) = delete;

    bool expired() const noexcept { return scope_.reason == CancelReason::timed_out; }
    // Expired while the code inside waited on an op, or started one after:
    // the deadline cut it short. Not so when it fired in the turn the code
    // completed, its completion already queued.
    bool cut_short() const noexcept { return expired() && scope_.cut; }

private:
    Core* core_;
    CancelScope scope_;
    CancelScope* parent_ = nullptr;
    Op* timer_ = nullptr;
};

template <class T>
struct is_result : std::false_type {};
template <class T>
struct is_result<Result<T>> : std::true_type {};

template <class A>
using await_result_t = decltype(std::declval<A>().await_resume());

template <class A>
auto get_awaiter(A&& a) {
    if constexpr (requires { std::forward<A>(a).operator co_await(); }) return std::forward<A>(a).operator co_await();
    else return std::forward<A>(a);
}

}  // namespace detail

// Awaits `awaitable`, cancelling whatever it waits on when the deadline
// passes. An awaitable that yields Result<T> gives Result<T> (timed_out when
// the deadline cut it short); any other T gives Result<T>: timed_out when
// the deadline cut short an op the awaitable waited on (or refused one it
// started after), else the value. A completion that happened wins over the
// deadline, even in the turn the deadline expired. Clock::time_point::max()
// means no deadline.
template <class A>
auto with_deadline(Clock::time_point deadline, A awaitable)
    -> Task<std::conditional_t<detail::is_result<std::remove_cvref_t<decltype(detail::get_awaiter(std::move(awaitable)).await_resume())>>::value,
                               std::remove_cvref_t<decltype(detail::get_awaiter(std::move(awaitable)).await_resume())>,
                               Result<std::remove_cvref_t<decltype(detail::get_awaiter(std::move(awaitable)).await_resume())>>>> {
    using Inner = std::remove_cvref_t<decltype(detail::get_awaiter(std::move(awaitable)).await_resume())>;
    detail::DeadlineScope scope(to_deadline_ns(deadline));
    if constexpr (detail::is_result<Inner>::value) {
        Inner r = co_await std::move(awaitable);
        if (!r && scope.expired()) co_return Inner(errc::timed_out, r.error_info().context());
        co_return r;
    } else if constexpr (std::is_void_v<Inner>) {
        co_await std::move(awaitable);
        if (scope.cut_short()) co_return Result<void>(errc::timed_out, "with_timeout");
        co_return Result<void>();
    } else {
        Inner v = co_await std::move(awaitable);
        if (scope.cut_short()) co_return Result<Inner>(errc::timed_out, "with_timeout");
        co_return Result<Inner>(std::move(v));
    }
}

template <class Rep, class Period, class A>
auto with_timeout(std::chrono::duration<Rep, Period> d, A awaitable) {
    return with_deadline(detail::deadline_after(d), std::move(awaitable));
}

}  // namespace ringo
