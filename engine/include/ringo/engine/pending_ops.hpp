// PendingOps: the ops in flight that one owner waits on together (a stream's
// reads, or its writes; the join of a spawned task), so that the owner can
// reach every one of them while they run: give them a new deadline, cancel
// them, or let go of them, without knowing how an op is linked.
//
// The list is what each of its ops names as its owner_slot (Op, link_owner),
// and the runtime unlinks an op wherever it completes or is abandoned. So
// while ops are listed the list must not simply be copied or freed: a move
// takes the ops along and re-points each one at the list's new address, and
// a list that goes away first forgets its ops.
#pragma once

#include <ringo/engine/op.hpp>
#include <ringo/engine/op_awaiter.hpp>

#include <coroutine>
#include <cstdint>
#include <utility>

namespace ringo::detail {

class PendingOps {
public:
    PendingOps() noexcept = default;
    // Takes o's ops; o is left empty.
    PendingOps(PendingOps&& o) noexcept;
    // Forgets this list's ops (see detach), then takes o's.
    PendingOps& operator=(PendingOps&& o) noexcept;
    PendingOps(const PendingOps&) = delete;
    PendingOps& operator=(const PendingOps&) = delete;
    // A completion after the owner has gone must not write into it.
    ~PendingOps() {
        if (head_) detach();
    }

    // Lists op until it completes. Link before starting it: an op that
    // completes during its start is unlinked there.
    void link(Op* op) noexcept { link_owner(op, &head_); }

    bool empty() const noexcept { return head_ == nullptr; }
    // The op linked last (a join's wait op), or nullptr.
    Op* newest() const noexcept { return head_; }

    // Gives every listed op this deadline (0: none), as set_op_deadline; one
    // already past completes now, with timed_out.
    void set_deadline(std::int64_t deadline_ns) noexcept;
    // Cancels every listed op; each still completes through the normal path,
    // which takes it off the list.
    void cancel(CancelReason reason) noexcept;
    // Forgets every op: they run on, and complete, off the list (an owner
    // closing or giving up its fd, or going away).
    void detach() noexcept;

private:
    Op* head_ = nullptr;
};

// An awaitable (Base: an OpAwaiter such as SizeOp or PooledRecvOp) whose op
// is listed in a PendingOps while it is in flight. The list must stay where
// it is from the awaitable's creation to its co_await.
template <class Base>
class [[nodiscard]] TrackedOp : public Base {
public:
    TrackedOp(PendingOps& list, Base&& op) noexcept : Base(std::move(op)), list_(&list) {}

    bool await_suspend(std::coroutine_handle<> h) noexcept {
        // Before the start: an op that completes there is unlinked there.
        list_->link(this->op());
        return Base::await_suspend(h);
    }

private:
    PendingOps* list_;
};

}  // namespace ringo::detail
