// BorrowedBuffer: the bytes of one borrowed read, in a buffer the runtime
// lent from its pool (ReadBufferOptions). Move-only; the buffer goes back
// to the pool when the BorrowedBuffer is destroyed or reset(), so hold it
// only as long as the bytes are needed (a parked connection should hold
// none: that is the point of borrowing). Use and destroy it on the thread
// of the runtime that lent it, and before that runtime ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace ringo {

namespace detail {
class Core;
class PooledRecvOp;
void give_back_buffer(Core* core, std::uint32_t bid) noexcept;
}  // namespace detail

class BorrowedBuffer {
public:
    BorrowedBuffer() noexcept = default;
    BorrowedBuffer(BorrowedBuffer&& o) noexcept
        : core_(std::exchange(o.core_, nullptr)), data_(o.data_), size_(std::exchange(o.size_, 0)), bid_(o.bid_) {}
    BorrowedBuffer& operator=(BorrowedBuffer&& o) noexcept {
        if (this != &o) {
            reset();
            core_ = std::exchange(o.core_, nullptr);
            data_ = o.data_;
            size_ = std::exchange(o.size_, 0);
            bid_ = o.bid_;
        }
        return *this;
    }
    BorrowedBuffer(const BorrowedBuffer&) = delete;
    BorrowedBuffer& operator=(const BorrowedBuffer&) = delete;
    ~BorrowedBuffer() { reset(); }

    // The bytes read (writable: decode in place if you like). Empty at EOF.
    std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
    std::byte* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // Drops the first n bytes (a parser took them); the buffer stays lent.
    void consume(std::size_t n) noexcept {
        if (n > size_) n = size_;
        data_ += n;
        size_ -= static_cast<std::uint32_t>(n);
    }

    // Gives the buffer back now; the BorrowedBuffer is empty afterwards.
    void reset() noexcept {
        if (core_) detail::give_back_buffer(std::exchange(core_, nullptr), bid_);
        data_ = nullptr;
        size_ = 0;
    }

private:
    friend class detail::PooledRecvOp;
    BorrowedBuffer(detail::Core* core, std::byte* data, std::uint32_t size, std::uint32_t bid) noexcept
        : core_(core), data_(data), size_(size), bid_(bid) {}

    detail::Core* core_ = nullptr;  // set while a buffer is held
    std::byte* data_ = nullptr;
    std::uint32_t size_ = 0;
    std::uint32_t bid_ = 0;
};

}  // namespace ringo
