#include "compat/epoll/poll_desc.hpp"

#include <cerrno>
#include <fcntl.h>
#include <new>

namespace ringo::detail {

void PollDesc::retire() noexcept {
    ++seq_;
    mode_ = Mode::unknown;
    pending_close_ = nullptr;
    drained_[0] = drained_[1] = false;
    hung_up_ = false;
}

PollDesc* PollDescTable::grow(int fd, int& err) noexcept {
    // A chunk is 1024 descs and the index vector one pointer per chunk; ask
    // the kernel first, so fd -1 or 1 << 30 costs nothing but an EBADF.
    if (fd < 0 || ::fcntl(fd, F_GETFD) < 0) {
        err = EBADF;
        return nullptr;
    }
    auto c = static_cast<std::size_t>(fd) >> chunk_bits;
    try {
        if (c >= chunks_.size()) chunks_.resize(c + 1);
        chunks_[c] = std::make_unique<PollDesc[]>(chunk_mask + 1);
    } catch (const std::bad_alloc&) {
        err = ENOMEM;
        return nullptr;
    }
    return &chunks_[c][static_cast<std::size_t>(fd) & chunk_mask];
}

}  // namespace ringo::detail
