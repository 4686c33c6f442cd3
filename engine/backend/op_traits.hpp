// What each OpKind is, in one table: the core and both backends read their
// decisions from here (who serves the kind, which readiness it waits for,
// what fds its result carries), so a new kind is one row plus one recipe
// per backend rather than a branch in every file that switches on kinds.
#pragma once

#include <ringo/engine/op.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <sys/socket.h>

namespace ringo::detail {

// The readiness an op waits for on a readiness backend (epoll).
enum class Direction : std::uint8_t { in = 0, out = 1 };

// The fds a completed op hands its reader, which must be closed when
// nobody will read the result (an abandoned op, a frame destroyed before
// it resumed).
enum class FdsCarried : std::uint8_t {
    none,
    result,   // the result is a new fd (accept)
    control,  // SCM_RIGHTS fds in op.msg's control data (recvmsg)
};

struct OpTraits {
    const char* name;
    // Served by the core, never by a backend (timeout, wait).
    bool user_space;
    Direction direction;
    FdsCarried fds;
    // On epoll, a regular file (which epoll refuses) goes to the blocking
    // pool instead of parking: its read may sleep on the disk.
    bool may_block;
    // Borrows a buffer from the runtime's pool once data is there.
    bool pooled;
};

inline constexpr std::array<OpTraits, op_kind_count> op_traits_table = [] {
    using K = OpKind;
    std::array<OpTraits, op_kind_count> t{};
    auto row = [&](K k, const char* name, Direction d = Direction::in) -> OpTraits& {
        auto& r = t[static_cast<std::size_t>(k)];
        r.name = name;
        r.direction = d;
        return r;
    };
    row(K::nop, "nop");
    row(K::accept, "accept").fds = FdsCarried::result;
    row(K::connect, "connect", Direction::out);
    row(K::recv, "recv");
    row(K::recv_pooled, "recv_pooled").pooled = true;
    row(K::send, "send", Direction::out);
    row(K::recvmsg, "recvmsg").fds = FdsCarried::control;
    row(K::sendmsg, "sendmsg", Direction::out);
    row(K::read, "read").may_block = true;
    row(K::write, "write", Direction::out).may_block = true;
    row(K::close, "close");
    row(K::shutdown, "shutdown");
    row(K::timeout, "timeout").user_space = true;
    row(K::wait, "wait").user_space = true;
    return t;
}();

constexpr const OpTraits& traits(OpKind k) noexcept { return op_traits_table[static_cast<std::size_t>(k)]; }

static_assert([] {
    for (const auto& r : op_traits_table)
        if (!r.name) return false;
    return true;
}(), "every OpKind needs a row in op_traits_table");

// Calls f(fd) for each fd a successfully completed op brought into the
// process: the new fd of an accept, the SCM_RIGHTS fds of a recvmsg.
template <class F>
void for_each_carried_fd(const Op& op, F&& f) noexcept {
    if (op.result < 0) return;
    switch (traits(op.kind).fds) {
    case FdsCarried::none: return;
    case FdsCarried::result: f(op.result); return;
    case FdsCarried::control: break;
    }
    if (!op.msg || !op.msg->msg_control || op.msg->msg_controllen == 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(op.msg); c; c = CMSG_NXTHDR(op.msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0)) continue;
        const auto* data = CMSG_DATA(c);
        const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < n; ++i) {
            int fd;
            std::memcpy(&fd, data + i * sizeof(int), sizeof fd);
            f(fd);
        }
    }
}

// Closes them: on every path that drops a result nobody will read.
void close_carried_fds(const Op& op) noexcept;

}  // namespace ringo::detail
