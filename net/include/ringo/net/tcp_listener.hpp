// TcpListener: a bound, listening TCP socket. accept() suspends the task
// until a connection arrives; cancelling the task, or closing the listener,
// wakes it with operation_canceled.
#pragma once

#include <ringo/engine/io.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/net/socket_addr.hpp>
#include <ringo/net/tcp_stream.hpp>

namespace ringo::net {

struct ListenOptions {
    int backlog = 1024;
    bool reuse_addr = true;   // SO_REUSEADDR: rebind while old connections linger in TIME_WAIT
    bool reuse_port = false;  // SO_REUSEPORT: several listeners share the port
    bool v6_only = false;     // IPV6_V6ONLY for a [::] listener
    bool nodelay = true;      // TCP_NODELAY on accepted streams
};

class TcpListener {
public:
    TcpListener() noexcept = default;
    TcpListener(TcpListener&& o) noexcept;
    TcpListener& operator=(TcpListener&& o) noexcept;
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;
    ~TcpListener();

    static Result<TcpListener> bind(const SocketAddr& addr, ListenOptions options = {});

    class [[nodiscard]] Accept : public io::AcceptOp {
    public:
        Accept(int fd, bool nodelay) noexcept : io::AcceptOp(fd, 0), nodelay_(nodelay) {}
        // The connected stream; its peer_addr() is known without a syscall.
        Result<TcpStream> await_resume() noexcept;

    private:
        bool nodelay_;
    };
    Accept accept() noexcept { return Accept(fd_, options_.nodelay); }

    Result<SocketAddr> local_addr() const;
    ringo::detail::VoidOp close() noexcept;
    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }

private:
    TcpListener(int fd, ListenOptions options) noexcept : fd_(fd), options_(options) {}
    int fd_ = -1;
    ListenOptions options_;
};

}  // namespace ringo::net
