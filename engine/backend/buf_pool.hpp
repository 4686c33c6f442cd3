// BufPool: the memory behind borrowed reads (OpKind::recv_pooled), owned by
// the core and shared by whichever backend runs.
//
// One anonymous mapping of count * size bytes, reserved at first use; the
// kernel backs a page only when a read first lands in it, so the pool costs
// what the busiest moment needed, not its full size. Buffers enter
// circulation in steps (grow()): a backend that lets the kernel pick
// buffers (io_uring's provided-buffer ring) hands the new ones to the
// kernel; one that picks them itself (epoll, io_uring without a buffer ring)
// keeps them on the free stack here, taken and put back LIFO so the hottest
// pages are reused.
//
// The core counts buffers lent out (a completion carried one) and given
// back; a backend that reads ahead (io_uring's multishot receive) counts
// the buffers it holds filled for a stream that has not asked yet. free()
// is what circulates minus what is lent or held.
#pragma once

#include <ringo/engine/op.hpp>
#include <ringo/engine/runtime_options.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ringo::detail {

class BufPool {
public:
    static constexpr std::uint32_t max_count = 32768;  // io_uring buffer ring entries
    static constexpr std::uint32_t max_size = 1u << 30;

    explicit BufPool(const ReadBufferOptions& options) noexcept;
    ~BufPool();
    BufPool(const BufPool&) = delete;
    BufPool& operator=(const BufPool&) = delete;

    // Maps the memory once. 0 or a positive errno (EINVAL: bad options).
    int ensure_mapped() noexcept;
    bool mapped() const noexcept { return base_ != nullptr; }

    std::byte* data(std::uint32_t bid) const noexcept { return base_ + std::size_t{bid} * size_; }
    std::uint32_t buffer_size() const noexcept { return size_; }
    std::uint32_t capacity() const noexcept { return count_; }
    std::uint32_t circulating() const noexcept { return circulating_; }
    std::uint32_t lent() const noexcept { return lent_; }
    std::uint32_t held() const noexcept { return held_; }
    std::uint32_t free() const noexcept { return circulating_ - lent_ - held_; }

    // Puts `initial` more buffers into circulation, up to capacity: slow
    // growth, one step per turn of sustained shortage, so a one-turn burst
    // does not leave pages behind. Returns the new ids
    // [first, last); empty when the pool is at capacity. The caller hands
    // them to the backend.
    std::pair<std::uint32_t, std::uint32_t> grow() noexcept;

    void note_lent() noexcept { ++lent_; }
    void note_held() noexcept { ++held_; }
    void note_released() noexcept { --held_; }
    void note_returned() noexcept { --lent_; }

    // The free stack, for backends that pick buffers themselves.
    // take(): a buffer id, or -1 when none is free.
    std::int32_t take() noexcept {
        if (stack_.empty()) return -1;
        auto bid = stack_.back();
        stack_.pop_back();
        return static_cast<std::int32_t>(bid);
    }
    void put(std::uint32_t bid) noexcept { stack_.push_back(bid); }  // capacity reserved in ensure_mapped

private:
    std::uint32_t size_;
    std::uint32_t count_;
    std::uint32_t initial_;
    std::byte* base_ = nullptr;
    std::size_t mapped_bytes_ = 0;
    std::uint32_t circulating_ = 0;
    std::uint32_t lent_ = 0;
    std::uint32_t held_ = 0;
    std::vector<std::uint32_t> stack_;
};

// One non-blocking recv of a recv_pooled op into a buffer from pool's free
// stack, for backends that pick buffers themselves after readiness. The
// buffer is kept (op.buf_id, op.buf) only if bytes landed in it. Returns
// true when the op is done (op.result set; -ENOBUFS when no buffer is
// free), false when the socket had nothing (EAGAIN).
bool recv_into_pool(Op& op, BufPool& pool) noexcept;

}  // namespace ringo::detail
