#include <ringo/net/tcp_listener.hpp>

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ringo::net {

TcpListener::TcpListener(TcpListener&& o) noexcept : fd_(std::exchange(o.fd_, -1)), options_(o.options_) {}

TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
    if (this != &o) {
        io::close_detached(fd_);
        fd_ = std::exchange(o.fd_, -1);
        options_ = o.options_;
    }
    return *this;
}

TcpListener::~TcpListener() { io::close_detached(fd_); }

Result<TcpListener> TcpListener::bind(const SocketAddr& addr, ListenOptions options) {
    const auto what = [&](const char* step) { return std::string(step) + " " + addr.to_string(); };
    if (addr.family() != AF_INET && addr.family() != AF_INET6)
        return Result<TcpListener>(errc::invalid_address, what("bind"));
    if (options.backlog <= 0) return Result<TcpListener>(std::make_error_code(std::errc::invalid_argument), what("listen: backlog must be > 0 for"));
    int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Result<TcpListener>(errno_code(errno), "socket");
    io::opened(fd);  // the number may have been closed with close(2) behind the runtime's back
    auto fail = [&](const char* step) {
        int err = errno;
        ::close(fd);  // no op can be pending on a socket nobody has seen
        return Result<TcpListener>(errno_code(err), what(step));
    };
    int one = 1;
    if (options.reuse_addr && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        return fail("setsockopt SO_REUSEADDR");
    if (options.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        return fail("setsockopt SO_REUSEPORT");
    if (addr.family() == AF_INET6) {
        int v6only = options.v6_only ? 1 : 0;
        if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0)
            return fail("setsockopt IPV6_V6ONLY");
    }
    if (::bind(fd, addr.data(), addr.size()) != 0) return fail("bind");
    if (::listen(fd, options.backlog) != 0) return fail("listen");
    return TcpListener(fd, options);
}

Result<TcpStream> TcpListener::Accept::await_resume() noexcept {
    auto fd = io::AcceptOp::await_resume();
    if (!fd) return Result<TcpStream>(fd.error_info());
    SocketAddr addr;
    if (peer_len() > 0) {
        if (auto a = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&peer()), peer_len())) addr = *a;
    } else {
        // Multishot accept gives no address. Ask now, while the connection
        // is fresh: asked later, a peer that has reset makes getpeername
        // fail (ENOTCONN), where the epoll backend's accept4 had the address.
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getpeername(*fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
            if (auto a = SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len)) addr = *a;
        }
    }
    TcpStream stream(*fd, addr);
    if (nodelay_) {
        // Best effort: a peer that already reset makes this fail, and the
        // first read will say so.
        (void)stream.set_nodelay(true);
    }
    return stream;
}

Result<SocketAddr> TcpListener::local_addr() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return Result<SocketAddr>(errno_code(errno), "getsockname");
    return SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
}

ringo::detail::VoidOp TcpListener::close() noexcept { return io::close(std::exchange(fd_, -1)); }

}  // namespace ringo::net
