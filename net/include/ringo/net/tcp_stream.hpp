// TcpStream: a connected TCP socket. Reads, writes, deadlines and close are
// every stream socket's (StreamSocket); here: connecting, the peer's address,
// TCP's options.
#pragma once

#include <ringo/engine/result.hpp>
#include <ringo/engine/task.hpp>
#include <ringo/net/socket_addr.hpp>
#include <ringo/net/stream_socket.hpp>

#include <chrono>
#include <string_view>

namespace ringo::net {

struct ConnectOptions {
    std::chrono::nanoseconds timeout{0};  // 0: no limit but the kernel's
    bool nodelay = true;                  // TCP_NODELAY, as Go sets it
};

class TcpStream : public StreamSocket {
public:
    TcpStream() noexcept = default;
    // Takes ownership of a connected, non-blocking socket.
    explicit TcpStream(int fd, SocketAddr peer = {}) noexcept : StreamSocket(fd), peer_(peer) {}

    static Task<Result<TcpStream>> connect(SocketAddr addr, ConnectOptions options = {});
    // Resolves host_port without blocking the loop, then tries each address.
    static Task<Result<TcpStream>> connect(std::string_view host_port, ConnectOptions options = {});

    Result<void> set_nodelay(bool on) noexcept;
    Result<void> set_keepalive(bool on) noexcept;
    Result<SocketAddr> local_addr() const;
    Result<SocketAddr> peer_addr() const;

private:
    SocketAddr peer_;
};

}  // namespace ringo::net
