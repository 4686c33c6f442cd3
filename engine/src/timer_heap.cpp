#include "engine/src/timer_heap.hpp"

namespace ringo::detail {

void TimerHeap::push(Op* op) {
    heap_.push_back(op);
    auto i = static_cast<std::uint32_t>(heap_.size() - 1);
    op->heap_index = i;
    sift_up(i);
}

void TimerHeap::remove(Op* op) noexcept {
    auto i = op->heap_index;
    if (i == UINT32_MAX) return;
    op->heap_index = UINT32_MAX;
    Op* last = heap_.back();
    heap_.pop_back();
    if (last == op) return;
    place(i, last);
    sift_up(i);
    sift_down(last->heap_index);
}

void TimerHeap::sift_up(std::uint32_t i) noexcept {
    Op* op = heap_[i];
    while (i > 0) {
        auto parent = (i - 1) / 2;
        if (heap_[parent]->deadline_ns <= op->deadline_ns) break;
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, op);
}

void TimerHeap::sift_down(std::uint32_t i) noexcept {
    Op* op = heap_[i];
    auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
        auto child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && heap_[child + 1]->deadline_ns < heap_[child]->deadline_ns) ++child;
        if (heap_[child]->deadline_ns >= op->deadline_ns) break;
        place(i, heap_[child]);
        i = child;
    }
    place(i, op);
}

}  // namespace ringo::detail
