// ReadyQueue: coroutines to resume on this loop turn, each with the
// cancellation scope it runs in. A ring buffer whose capacity the Core
// reserves ahead (one entry per op slot and per live task), so push() never
// allocates: completions are queued from inside a backend's reap, where
// neither an allocation failure nor running user code is acceptable.
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>

namespace ringo::detail {

struct CancelScope;

// A task to resume in its scope, or (handle empty) an op whose waiter is
// to resume, named by its user_data: if the waiter's frame is destroyed
// before its turn (the op discarded, its slot reused), the entry finds the
// slot moved on and is dropped instead of resuming a dead frame. A pooled
// read whose fd turned readable is such an entry too: it reads right
// before its task resumes (Core::run_ready). 16 bytes either way: one per
// op slot and task is reserved.
struct ReadyItem {
    std::coroutine_handle<> handle;
    union {
        CancelScope* scope;
        std::uint64_t op;
    };
};

class ReadyQueue {
public:
    bool empty() const noexcept { return head_ == tail_; }
    std::size_t size() const noexcept { return tail_ - head_; }

    // Room for n entries in all; false if the memory cannot be had.
    bool reserve(std::size_t n) noexcept {
        if (n <= cap_) return true;
        try {
            grow(n);
            return true;
        } catch (...) {
            return false;
        }
    }
    void push(ReadyItem item) noexcept {
        if (size() == cap_) grow(cap_ + 1);  // only if a reservation was skipped: terminates on OOM
        items_[tail_++ & (cap_ - 1)] = item;
    }
    ReadyItem pop() noexcept { return items_[head_++ & (cap_ - 1)]; }

private:
    void grow(std::size_t at_least) {
        std::size_t cap = cap_ ? cap_ : 64;
        while (cap < at_least) cap *= 2;
        auto items = std::make_unique<ReadyItem[]>(cap);
        for (std::size_t i = 0; i < size(); ++i) items[i] = items_[(head_ + i) & (cap_ - 1)];
        tail_ = size();
        head_ = 0;
        items_ = std::move(items);
        cap_ = cap;
    }

    std::unique_ptr<ReadyItem[]> items_;
    std::size_t cap_ = 0;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

}  // namespace ringo::detail
