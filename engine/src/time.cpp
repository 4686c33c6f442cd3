#include <ringo/engine/time.hpp>

#include "engine/src/core.hpp"

namespace ringo {

detail::VoidOp sleep_until(Clock::time_point deadline) noexcept {
    detail::VoidOp a(OpKind::timeout, -1, {"sleep"});
    if (auto* op = a.op()) {
        auto ns = to_deadline_ns(deadline);
        op->deadline_ns = ns > 0 ? ns : 1;
    }
    return a;
}

detail::VoidOp yield() noexcept {
    detail::VoidOp a(OpKind::timeout, -1, {"yield"});
    if (auto* op = a.op()) {
        op->deadline_ns = 1;  // due at once, so the loop's wait does not block
        op->hints = op_hint::after_poll;
    }
    return a;
}

namespace detail {

DeadlineScope::DeadlineScope(std::int64_t deadline_ns) noexcept : core_(current_core()) {
    if (!core_) return;
    parent_ = core_->current_scope;
    scope_.parent = parent_;
    if (parent_) parent_->child = &scope_;
    core_->current_scope = &scope_;
    if (deadline_ns == to_deadline_ns(Clock::time_point::max())) return;  // never: no timer

    timer_ = core_->acquire();
    if (!timer_) {
        scope_.reason = CancelReason::timed_out;  // cannot time it: fail closed
        return;
    }
    timer_->kind = OpKind::timeout;
    timer_->deadline_ns = deadline_ns > 0 ? deadline_ns : 1;
    timer_->context = &scope_;
    timer_->on_complete = [](Op* op) noexcept {
        if (op->result == 0) {
            auto* scope = static_cast<CancelScope*>(op->context);
            tls_core->cancel_scope(scope, CancelReason::timed_out);
        }
    };
    // The timer belongs to no scope: cancelling the scope must not stop it.
    auto* saved = core_->current_scope;
    core_->current_scope = nullptr;
    if (!core_->start(timer_, {})) timer_->on_complete(timer_);
    core_->current_scope = saved;
}

DeadlineScope::~DeadlineScope() {
    if (!core_) return;
    if (timer_) {
        if (is_pending(timer_->state)) {
            core_->abandon(timer_);  // a user-space op: completes and frees at once
        } else {
            core_->release(timer_);
        }
    }
    if (parent_) parent_->child = nullptr;
    core_->current_scope = parent_;
}

}  // namespace detail
}  // namespace ringo
