#include "engine/backend/buf_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <sys/mman.h>
#include <sys/socket.h>

namespace ringo::detail {
BufPool::BufPool(const ReadBufferOptions& o) noexcept
    : size_(o.size), count_(o.count), initial_(std::clamp<std::uint32_t>(o.initial, 1, std::max(o.count, 1u))) {}

BufPool::~BufPool() {
    if (base_) ::munmap(base_, mapped_bytes_);
}

int BufPool::ensure_mapped() noexcept {
    if (base_) return 0;
    if (size_ == 0 || size_ > max_size || count_ == 0 || count_ > max_count) return EINVAL;
    const std::size_t bytes = std::size_t{size_} * count_;
    // NORESERVE: address space only; pages come when reads land in them.
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return errno;
    try {
        stack_.reserve(count_);
    } catch (const std::bad_alloc&) {
        ::munmap(p, bytes);
        return ENOMEM;
    }
    base_ = static_cast<std::byte*>(p);
    mapped_bytes_ = bytes;
    return 0;
}

std::pair<std::uint32_t, std::uint32_t> BufPool::grow() noexcept {
    if (!base_ || circulating_ >= count_) return {circulating_, circulating_};
    const std::uint32_t first = circulating_;
    circulating_ = std::min(count_, circulating_ + initial_);
    return {first, circulating_};
}

bool recv_into_pool(Op& op, BufPool& pool) noexcept {
    const std::int32_t bid = pool.take();
    if (bid < 0) {
        op.result = -ENOBUFS;
        return true;
    }
    std::byte* data = pool.data(static_cast<std::uint32_t>(bid));
    for (;;) {
        ssize_t n = ::recv(op.fd, data, pool.buffer_size(), op.msg_flags | MSG_DONTWAIT);
        if (n > 0) {
            op.buf_id = bid;
            op.buf = data;
            op.result = static_cast<std::int32_t>(n);
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        const int err = errno;
        pool.put(static_cast<std::uint32_t>(bid));
        if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) return false;
        op.result = n == 0 ? 0 : -err;
        return true;
    }
}

}  // namespace ringo::detail
