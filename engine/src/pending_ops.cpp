#include <ringo/engine/pending_ops.hpp>

namespace ringo::detail {

namespace {
// f may complete the op it is given, which unlinks it: step on first.
template <class F>
void for_each_op(Op* head, F f) noexcept {
    for (Op* op = head; op;) {
        Op* next = op->owner_next;
        f(op);
        op = next;
    }
}
}  // namespace

PendingOps::PendingOps(PendingOps&& o) noexcept : head_(std::exchange(o.head_, nullptr)) {
    for_each_op(head_, [this](Op* op) { op->owner_slot = &head_; });
}

PendingOps& PendingOps::operator=(PendingOps&& o) noexcept {
    if (this != &o) {
        detach();
        head_ = std::exchange(o.head_, nullptr);
        for_each_op(head_, [this](Op* op) { op->owner_slot = &head_; });
    }
    return *this;
}

void PendingOps::set_deadline(std::int64_t deadline_ns) noexcept {
    if (!head_) return;
    // Listed ops run on this thread's runtime: they were started there.
    Core* core = current_core();
    for_each_op(head_, [&](Op* op) { set_op_deadline(core, op, deadline_ns); });
}

void PendingOps::cancel(CancelReason reason) noexcept {
    if (!head_) return;
    Core* core = current_core();
    for_each_op(head_, [&](Op* op) { cancel_op(core, op, reason); });
}

void PendingOps::detach() noexcept {
    while (head_) unlink_owner(head_);
}

}  // namespace ringo::detail
