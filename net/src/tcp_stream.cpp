#include <ringo/net/tcp_stream.hpp>

#include <ringo/net/resolve.hpp>

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ringo::net {

namespace detail_net {

void register_pending(ringo::detail::Op* o, ringo::detail::Op** slot) noexcept {
    ringo::detail::link_owner(o, slot);  // the runtime unlinks it when the op completes
}

namespace {
// Every op pending in one direction (reads or writes) of a stream.
template <class F>
void for_each_pending(ringo::detail::Op* head, F f) noexcept {
    for (auto* o = head; o;) {
        auto* next = o->owner_next;  // f may complete o, which unlinks it
        f(o);
        o = next;
    }
}
}  // namespace

namespace {
// One op moves at most 2 GiB - 1; a larger span completes short.
std::uint32_t op_len(std::size_t size) noexcept {
    return static_cast<std::uint32_t>(std::min<std::size_t>(size, 0x7fffffff));
}
}  // namespace

}  // namespace detail_net

namespace {

Result<void> set_int_option(int fd, int level, int name, int value, const char* what) noexcept {
    if (::setsockopt(fd, level, name, &value, sizeof value) == 0) return {};
    return Result<void>(errno_code(errno), what);
}

Result<SocketAddr> sock_name(int fd, bool peer) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    auto* sa = reinterpret_cast<sockaddr*>(&ss);
    int r = peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len);
    if (r != 0) return Result<SocketAddr>(errno_code(errno), peer ? "getpeername" : "getsockname");
    return SocketAddr::from_sockaddr(sa, len);
}

}  // namespace

TcpStream::TcpStream(TcpStream&& o) noexcept { adopt(o); }

TcpStream& TcpStream::operator=(TcpStream&& o) noexcept {
    if (this != &o) {
        forget_pending();
        io::close_detached(fd_);
        adopt(o);
    }
    return *this;
}

TcpStream::~TcpStream() {
    forget_pending();
    io::close_detached(fd_);
}

void TcpStream::forget_pending() noexcept {
    // An op still in flight (another task's read, cancelled by the close
    // below) must not write its completion into this dead object.
    for (auto* head : {pending_read_, pending_write_})
        detail_net::for_each_pending(head, [](ringo::detail::Op* o) {
            o->owner_slot = nullptr;
            o->owner_prev = o->owner_next = nullptr;
        });
    pending_read_ = pending_write_ = nullptr;
}

void TcpStream::adopt(TcpStream& o) noexcept {
    fd_ = std::exchange(o.fd_, -1);
    read_deadline_ = o.read_deadline_;
    write_deadline_ = o.write_deadline_;
    peer_ = o.peer_;
    // Ops in flight name the slot they registered in: follow the move.
    pending_read_ = std::exchange(o.pending_read_, nullptr);
    pending_write_ = std::exchange(o.pending_write_, nullptr);
    detail_net::for_each_pending(pending_read_, [this](ringo::detail::Op* op) { op->owner_slot = &pending_read_; });
    detail_net::for_each_pending(pending_write_, [this](ringo::detail::Op* op) { op->owner_slot = &pending_write_; });
}

int TcpStream::release() noexcept { return std::exchange(fd_, -1); }

Task<Result<TcpStream>> TcpStream::connect(SocketAddr addr, ConnectOptions options) {
    const auto what = [&] { return "connect " + addr.to_string(); };
    if (addr.family() != AF_INET && addr.family() != AF_INET6)
        co_return Result<TcpStream>(errc::invalid_address, what());
    int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) co_return Result<TcpStream>(errno_code(errno), "socket");
    io::opened(fd);  // the number may have been closed with close(2) behind the runtime's back
    TcpStream stream(fd, addr);
    std::int64_t deadline = 0;
    if (options.timeout.count() > 0) deadline = ringo::detail::now_ns() + options.timeout.count();
    auto r = co_await io::connect(fd, addr.data(), addr.size(), deadline);
    if (!r) {
        (void)co_await stream.close();  // the connect error is the one to report
        co_return Result<TcpStream>(r.error(), what());
    }
    if (options.nodelay) {
        if (auto o = stream.set_nodelay(true); !o) co_return Result<TcpStream>(o.error(), what() + ": TCP_NODELAY");
    }
    co_return std::move(stream);
}

Task<Result<TcpStream>> TcpStream::connect(std::string_view host_port, ConnectOptions options) {
    std::string name(host_port);  // the view may not outlive the first suspension
    auto addrs = co_await resolve_async(name);
    if (!addrs) co_return Result<TcpStream>(addrs.error_info());
    Error last(errc::resolve_failed, "connect " + name + ": no address");
    for (const auto& a : *addrs) {
        auto s = co_await connect(a, options);
        if (s) co_return s;
        last = s.error_info();
        // Cancellation and deadlines end the attempt; other errors try the next address.
        if (s.error() == errc::operation_canceled || s.error() == errc::timed_out) break;
    }
    co_return Result<TcpStream>(last);
}

detail_net::StreamOp TcpStream::read(std::span<std::byte> buf) noexcept {
    detail_net::StreamOp a(&pending_read_, read_deadline_, OpKind::recv, fd_, ringo::detail::SizeResult{"read"});
    if (auto* o = a.op()) {
        o->buf = buf.data();
        o->len = detail_net::op_len(buf.size());
    }
    return a;
}

detail_net::StreamBorrowOp TcpStream::read_borrowed() noexcept {
    return detail_net::StreamBorrowOp(&pending_read_, read_deadline_, fd_, 0, read_deadline_, "read");
}

detail_net::StreamOp TcpStream::write(std::span<const std::byte> buf) noexcept {
    detail_net::StreamOp a(&pending_write_, write_deadline_, OpKind::send, fd_, ringo::detail::SizeResult{"write"});
    if (auto* o = a.op()) {
        o->buf = const_cast<std::byte*>(buf.data());
        o->len = detail_net::op_len(buf.size());
    }
    return a;
}

Task<Result<void>> TcpStream::read_exact(std::span<std::byte> buf) {
    std::size_t done = 0;
    while (done < buf.size()) {
        auto n = co_await read(buf.subspan(done));
        if (!n) co_return Result<void>(n.error_info());
        if (*n == 0) co_return Result<void>(errc::unexpected_eof, "read_exact");
        done += *n;
    }
    co_return Result<void>();
}

Task<Result<void>> TcpStream::write_all(std::span<const std::byte> buf) {
    std::size_t done = 0;
    while (done < buf.size()) {
        auto n = co_await write(buf.subspan(done));
        if (!n) co_return Result<void>(n.error_info());
        done += *n;
    }
    co_return Result<void>();
}

ringo::detail::VoidOp TcpStream::shutdown(Shutdown how) noexcept { return io::shutdown(fd_, static_cast<int>(how)); }

ringo::detail::VoidOp TcpStream::close() noexcept { return io::close(std::exchange(fd_, -1)); }

void TcpStream::set_read_deadline(Clock::time_point t) noexcept {
    read_deadline_ = t == Clock::time_point{} ? 0 : to_deadline_ns(t);
    // Every pending read, as Go's SetReadDeadline: not only the latest.
    detail_net::for_each_pending(pending_read_, [this](ringo::detail::Op* o) {
        ringo::detail::set_op_deadline(ringo::detail::current_core(), o, read_deadline_);
    });
}

void TcpStream::set_write_deadline(Clock::time_point t) noexcept {
    write_deadline_ = t == Clock::time_point{} ? 0 : to_deadline_ns(t);
    detail_net::for_each_pending(pending_write_, [this](ringo::detail::Op* o) {
        ringo::detail::set_op_deadline(ringo::detail::current_core(), o, write_deadline_);
    });
}

Result<void> TcpStream::set_nodelay(bool on) noexcept {
    return set_int_option(fd_, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "setsockopt TCP_NODELAY");
}

Result<void> TcpStream::set_keepalive(bool on) noexcept {
    return set_int_option(fd_, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0, "setsockopt SO_KEEPALIVE");
}

Result<SocketAddr> TcpStream::local_addr() const { return sock_name(fd_, false); }

Result<SocketAddr> TcpStream::peer_addr() const {
    if (peer_.family() != AF_UNSPEC) return peer_;
    return sock_name(fd_, true);
}

}  // namespace ringo::net
