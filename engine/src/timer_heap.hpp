// TimerHeap: a binary min-heap of ops by deadline, living in user space so a
// deadline costs no kernel request; the loop's wait uses the earliest one as
// its timeout. Each op stores its own heap index, so removing an op that
// completed early is O(log n) with no search. The vector grows to the peak
// number of armed deadlines and then allocates no more.
#pragma once

#include <ringo/engine/op.hpp>

#include <cstdint>
#include <vector>

namespace ringo::detail {

class TimerHeap {
public:
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }
    Op* top() const noexcept { return heap_.front(); }

    void push(Op* op);
    void remove(Op* op) noexcept;
    bool contains(const Op* op) const noexcept { return op->heap_index != UINT32_MAX; }
    // Whether any armed op satisfies pred; a linear scan, for shutdown.
    template <class Pred>
    bool any(Pred pred) const noexcept {
        for (const Op* op : heap_)
            if (pred(*op)) return true;
        return false;
    }

private:
    void sift_up(std::uint32_t i) noexcept;
    void sift_down(std::uint32_t i) noexcept;
    void place(std::uint32_t i, Op* op) noexcept {
        heap_[i] = op;
        op->heap_index = i;
    }

    std::vector<Op*> heap_;
};

}  // namespace ringo::detail
