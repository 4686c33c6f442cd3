// The "perform" step of an op on a readiness backend (Asio's reactor ops,
// monoio's legacy driver): one non-blocking try at the op's syscall. Shared
// by the epoll loop, which retries it on readiness, and the blocking pool,
// which runs it once on a thread of its own.
#pragma once

#include <ringo/engine/op.hpp>

#include <cstdint>

namespace ringo::detail {

class BufPool;

// Op::backend_word while an op is with the epoll backend: the readiness tick
// seen before its last try (low 32 bits), and whether a connect is under way.
inline constexpr std::uint64_t tick_mask = 0xffffffffu;
inline constexpr std::uint64_t connect_started = std::uint64_t{1} << 63;

// Tries op's syscall once (EINTR is retried). Returns true when the op is
// done, with op.result set (CQE convention); false when it would block and
// must wait for readiness in its direction. A recv_pooled takes a buffer
// from pool's free stack for the try and keeps it only if bytes landed
// (op.buf_id); with none free it is done with -ENOBUFS.
bool run_syscall(Op& op, BufPool* pool = nullptr) noexcept;

}  // namespace ringo::detail
