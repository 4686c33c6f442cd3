// ReadyQueue: coroutines to resume on this loop turn, each with the
// cancellation scope it runs in. A ring buffer that doubles when full, so it
// stops allocating once it has seen the peak number of ready tasks.
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>

namespace ringo::detail {

struct CancelScope;

struct ReadyItem {
    std::coroutine_handle<> handle;
    CancelScope* scope;
};

class ReadyQueue {
public:
    bool empty() const noexcept { return head_ == tail_; }
    std::size_t size() const noexcept { return tail_ - head_; }

    void push(ReadyItem item) {
        if (size() == cap_) grow();
        items_[tail_++ & (cap_ - 1)] = item;
    }
    ReadyItem pop() noexcept { return items_[head_++ & (cap_ - 1)]; }

private:
    void grow() {
        std::size_t cap = cap_ ? cap_ * 2 : 64;
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
