// OpQueue: an intrusive FIFO of ops linked through Op::next, for whoever
// holds an op at the moment: the core (reads waiting for a buffer, accepts
// backing off, the CompletionList), epoll's PollDesc (one per direction)
// and its blocking pool. An op is in at most one at a time. No allocation:
// the link lives in the op's own slab slot.
#pragma once

#include <ringo/engine/op.hpp>

namespace ringo::detail {

class OpQueue {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    Op* front() const noexcept { return head_; }

    void push(Op& op) noexcept {
        op.next = nullptr;
        if (tail_) tail_->next = &op;
        else head_ = &op;
        tail_ = &op;
    }

    Op* pop() noexcept {
        Op* op = head_;
        if (!op) return nullptr;
        head_ = op->next;
        if (!head_) tail_ = nullptr;
        op->next = nullptr;
        return op;
    }

    // Unlinks op wherever it stands; false when it is not in this queue.
    bool remove(Op& op) noexcept {
        Op* prev = nullptr;
        for (Op* o = head_; o; prev = o, o = o->next) {
            if (o != &op) continue;
            if (prev) prev->next = o->next;
            else head_ = o->next;
            if (tail_ == o) tail_ = prev;
            o->next = nullptr;
            return true;
        }
        return false;
    }

    // The whole list, oldest first, linked through Op::next; the queue is
    // left empty.
    Op* take_all() noexcept {
        Op* head = head_;
        head_ = tail_ = nullptr;
        return head;
    }

private:
    Op* head_ = nullptr;
    Op* tail_ = nullptr;
};

}  // namespace ringo::detail
