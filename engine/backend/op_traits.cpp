#include "engine/backend/op_traits.hpp"

#include <unistd.h>

namespace ringo {

const char* op_kind_name(OpKind kind) noexcept {
    return kind < OpKind::count_ ? detail::traits(kind).name : "?";
}

namespace detail {

void close_carried_fds(const Op& op) noexcept {
    for_each_carried_fd(op, [](int fd) { ::close(fd); });
}

}  // namespace detail
}  // namespace ringo
