#include <ringo/net/tcp_stream.hpp>

#include <ringo/net/resolve.hpp>

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace ringo::net {

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

Result<void> TcpStream::set_nodelay(bool on) noexcept {
    return set_int_option(native_handle(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "setsockopt TCP_NODELAY");
}

Result<void> TcpStream::set_keepalive(bool on) noexcept {
    return set_int_option(native_handle(), SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0, "setsockopt SO_KEEPALIVE");
}

Result<SocketAddr> TcpStream::local_addr() const { return sock_name(native_handle(), false); }

Result<SocketAddr> TcpStream::peer_addr() const {
    if (peer_.family() != AF_UNSPEC) return peer_;
    return sock_name(native_handle(), true);
}

}  // namespace ringo::net
