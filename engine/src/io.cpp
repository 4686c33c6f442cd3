#include <ringo/engine/io.hpp>

#include "engine/src/core.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace ringo {

std::error_code io_error(int raw) noexcept {
    if (raw == -ECANCELED) return make_error_code(errc::operation_canceled);
    if (raw == detail::err_deadline) return make_error_code(errc::timed_out);
    if (raw == detail::err_no_runtime) return make_error_code(errc::no_runtime);
    return errno_code(-raw);
}

namespace detail {

PooledRecvOp::PooledRecvOp(int fd, int flags, std::int64_t deadline_ns, const char* what) noexcept
    : OpAwaiter(OpKind::recv_pooled, fd), what_(what) {
    if (op_) {
        op_->msg_flags = flags;
        op_->deadline_ns = deadline_ns;
    }
}

Result<BorrowedBuffer> PooledRecvOp::await_resume() noexcept {
    if (!op_) return Result<BorrowedBuffer>(io_error(core_ ? err_no_memory : err_no_runtime), what_);
    Op* op = std::exchange(op_, nullptr);
    const int r = op->result;
    BorrowedBuffer buf;
    if (r > 0 && op->buf_id >= 0) {
        // The loan moves from the op to the caller.
        buf = BorrowedBuffer(core_, static_cast<std::byte*>(op->buf), static_cast<std::uint32_t>(r),
                             static_cast<std::uint32_t>(op->buf_id));
        op->buf_id = -1;
    }
    release_op(core_, op);
    if (r < 0) return Result<BorrowedBuffer>(io_error(r), what_);
    return buf;
}

ConnectOp::ConnectOp(int fd, const sockaddr* addr, socklen_t len, std::int64_t deadline_ns) noexcept
    : MappedOp<VoidResult>(OpKind::connect, fd, {"connect"}) {
    if (len > sizeof addr_) len = sizeof addr_;
    if (addr) std::memcpy(&addr_, addr, len);
    len_ = len;
    if (op_) op_->deadline_ns = deadline_ns;
}

bool ConnectOp::await_suspend(std::coroutine_handle<> h) noexcept {
    // Only now: the awaiter has its final place in the awaiting frame.
    op_->addr = reinterpret_cast<sockaddr*>(&addr_);
    op_->addrlen = len_;
    return MappedOp<VoidResult>::await_suspend(h);
}

}  // namespace detail

namespace io {
namespace {

template <class Awaiter>
Awaiter& fill(Awaiter& a, void* buf, std::size_t len, int flags, std::int64_t deadline_ns) noexcept {
    if (auto* op = a.op()) {
        op->buf = buf;
        // One op moves at most 2 GiB - 1; larger spans complete short, as
        // read(2)/write(2) would.
        op->len = static_cast<std::uint32_t>(len > 0x7fffffff ? 0x7fffffff : len);
        op->msg_flags = flags;
        op->deadline_ns = deadline_ns;
    }
    return a;
}

}  // namespace

detail::SizeOp recv(int fd, std::span<std::byte> buf, int flags, std::int64_t deadline_ns) noexcept {
    detail::SizeOp a(OpKind::recv, fd, {"recv"});
    fill(a, buf.data(), buf.size(), flags, deadline_ns);
    return a;
}

detail::PooledRecvOp recv_pooled(int fd, int flags, std::int64_t deadline_ns) noexcept {
    return detail::PooledRecvOp(fd, flags, deadline_ns, "recv");
}

detail::SizeOp send(int fd, std::span<const std::byte> buf, int flags, std::int64_t deadline_ns) noexcept {
    detail::SizeOp a(OpKind::send, fd, {"send"});
    fill(a, const_cast<std::byte*>(buf.data()), buf.size(), flags, deadline_ns);
    return a;
}

detail::SizeOp stream_recv(int fd, std::span<std::byte> buf, std::int64_t deadline_ns, const char* what) noexcept {
    detail::SizeOp a(OpKind::recv, fd, {what});
    fill(a, buf.data(), buf.size(), 0, deadline_ns);
    if (auto* op = a.op()) op->hints = op_hint::stream;
    return a;
}

detail::PooledRecvOp stream_recv_pooled(int fd, std::int64_t deadline_ns, const char* what) noexcept {
    detail::PooledRecvOp a(fd, 0, deadline_ns, what);
    if (auto* op = a.op()) op->hints = op_hint::stream;
    return a;
}

detail::SizeOp stream_send(int fd, std::span<const std::byte> buf, std::int64_t deadline_ns, const char* what) noexcept {
    detail::SizeOp a(OpKind::send, fd, {what});
    fill(a, const_cast<std::byte*>(buf.data()), buf.size(), 0, deadline_ns);
    return a;
}

detail::SizeOp recvmsg(int fd, msghdr* msg, int flags, std::int64_t deadline_ns) noexcept {
    detail::SizeOp a(OpKind::recvmsg, fd, {"recvmsg"});
    if (auto* op = a.op()) {
        op->msg = msg;
        op->msg_flags = flags;
        op->deadline_ns = deadline_ns;
    }
    return a;
}

detail::SizeOp sendmsg(int fd, const msghdr* msg, int flags, std::int64_t deadline_ns) noexcept {
    detail::SizeOp a(OpKind::sendmsg, fd, {"sendmsg"});
    if (auto* op = a.op()) {
        op->msg = const_cast<msghdr*>(msg);
        op->msg_flags = flags;
        op->deadline_ns = deadline_ns;
    }
    return a;
}

detail::SizeOp read(int fd, std::span<std::byte> buf, std::uint64_t offset, std::int64_t deadline_ns) noexcept {
    detail::SizeOp a(OpKind::read, fd, {"read"});
    fill(a, buf.data(), buf.size(), 0, deadline_ns);
    if (auto* op = a.op()) op->offset = offset;
    return a;
}

detail::SizeOp write(int fd, std::span<const std::byte> buf, std::uint64_t offset,
                     std::int64_t deadline_ns) noexcept {
    detail::SizeOp a(OpKind::write, fd, {"write"});
    fill(a, const_cast<std::byte*>(buf.data()), buf.size(), 0, deadline_ns);
    if (auto* op = a.op()) op->offset = offset;
    return a;
}

detail::VoidOp close(int fd) noexcept {
    detail::VoidOp a(OpKind::close, fd, {"close"});
    // No runtime (or no op slot): the await fails, but the fd must still go,
    // or the caller, whose handle already forgot it, leaks it.
    if (!a.op() && fd >= 0) ::close(fd);
    return a;
}

detail::VoidOp shutdown(int fd, int how) noexcept {
    detail::VoidOp a(OpKind::shutdown, fd, {"shutdown"});
    if (auto* op = a.op()) op->msg_flags = how;
    return a;
}

detail::VoidOp nop() noexcept { return detail::VoidOp(OpKind::nop, -1, {"nop"}); }

detail::ConnectOp connect(int fd, const sockaddr* addr, socklen_t len, std::int64_t deadline_ns) noexcept {
    return detail::ConnectOp(fd, addr, len, deadline_ns);
}

AcceptOp::AcceptOp(int fd, std::int64_t deadline_ns) noexcept : OpAwaiter(OpKind::accept, fd) {
    if (auto* o = op()) o->deadline_ns = deadline_ns;
}

bool AcceptOp::await_suspend(std::coroutine_handle<> h) noexcept {
    // The kernel writes the peer's address straight into peer_ (a multishot
    // accept learns none and leaves addrlen 0: peer() asks getpeername).
    op_->addr = reinterpret_cast<sockaddr*>(&peer_);
    op_->addrlen = sizeof peer_;
    return OpAwaiter::await_suspend(h);
}

Result<int> AcceptOp::await_resume() noexcept {
    if (auto* o = op(); o && o->state == detail::OpState::done && o->result >= 0) peer_len_ = o->addrlen;
    int r = OpAwaiter::await_resume();
    if (r >= 0) {
        accepted_ = r;
        return r;
    }
    return Result<int>(io_error(r), "accept");
}

const sockaddr_storage& AcceptOp::peer() const noexcept {
    if (peer_len_ == 0 && accepted_ >= 0) {
        socklen_t len = sizeof peer_;
        if (::getpeername(accepted_, reinterpret_cast<sockaddr*>(&peer_), &len) == 0) peer_len_ = len;
    }
    return peer_;
}

AcceptOp accept(int fd, std::int64_t deadline_ns) noexcept { return AcceptOp(fd, deadline_ns); }

void opened(int fd) noexcept {
    if (fd < 0) return;
    if (auto* core = detail::current_core()) core->fd_opened(fd);
}

void close_detached(int fd) noexcept {
    if (fd < 0) return;
    auto* core = detail::current_core();
    detail::Op* op = core ? core->acquire() : nullptr;
    if (!op) {
        ::close(fd);
        return;
    }
    op->kind = OpKind::close;
    op->fd = fd;
    core->start_detached(op);
}

}  // namespace io
}  // namespace ringo
