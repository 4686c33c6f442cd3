// A cancellation scope: the unit that spawn handles, Runtime::stop() and
// with_timeout() cancel. Each spawned task runs in its own scope;
// with_timeout() opens a child scope for the duration of its awaitable. A
// scope knows the one op its innermost code is suspended on, so cancelling it
// is one request to the backend. Ops started in a cancelled scope (or below
// one) fail at once, so a cancelled task unwinds instead of blocking again.
#pragma once

#include <ringo/engine/op.hpp>

namespace ringo::detail {

struct CancelScope {
    CancelScope* parent = nullptr;
    CancelScope* child = nullptr;  // the active nested scope, if any
    Op* current_op = nullptr;      // what the code in this scope waits on
    CancelReason reason = CancelReason::none;
    // The cancellation reached something: an op in flight was cancelled, or
    // one started later was refused. A scope cancelled after its code had
    // already completed has cut nothing (with_timeout keeps the value).
    bool cut = false;

    // The reason this scope or the nearest cancelled ancestor gives.
    CancelReason effective_reason() const noexcept {
        for (auto* s = this; s; s = s->parent)
            if (s->reason != CancelReason::none) return s->reason;
        return CancelReason::none;
    }
};

}  // namespace ringo::detail
