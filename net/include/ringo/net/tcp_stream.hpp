// TcpStream: a connected TCP socket whose reads and writes "block" the
// calling task, Go style, while the runtime multiplexes underneath.
//
// Deadlines follow Go's net.Conn: a deadline is an absolute time; once it
// has passed, the pending read (or write) and every later one fail with
// errc::timed_out, and the connection stays usable: set a new deadline (or
// clear it with Clock::time_point{}) and carry on.
#pragma once

#include <ringo/engine/io.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/task.hpp>
#include <ringo/engine/time.hpp>
#include <ringo/net/socket_addr.hpp>

#include <chrono>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include <sys/socket.h>

namespace ringo::net {

enum class Shutdown { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

struct ConnectOptions {
    std::chrono::nanoseconds timeout{0};  // 0: no limit but the kernel's
    bool nodelay = true;                  // TCP_NODELAY, as Go sets it
};

class TcpStream;

namespace detail_net {

// Makes an op findable through slot (the stream's pending reads or writes)
// from its start until it completes, so a deadline set meanwhile reaches
// it, and every other op pending in the same direction.
void register_pending(ringo::detail::Op* op, ringo::detail::Op** slot) noexcept;

// A read or write awaitable (Base: a SizeOp, or a PooledRecvOp for
// borrowed reads) that registers itself as the stream's pending op while in
// flight.
template <class Base>
class [[nodiscard]] StreamAwaiter : public Base {
public:
    template <class... Args>
    StreamAwaiter(ringo::detail::Op** slot, std::int64_t deadline, Args&&... args) noexcept
        : Base(std::forward<Args>(args)...), slot_(slot) {
        if (auto* o = this->op()) {
            o->deadline_ns = deadline;
            // A short read of a stream means it was drained (see op_hint).
            if (o->kind == OpKind::recv || o->kind == OpKind::recv_pooled) o->hints = op_hint::stream;
        }
    }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        // Before the start: an op that completes there is unlinked there.
        register_pending(this->op(), slot_);
        return Base::await_suspend(h);
    }

private:
    ringo::detail::Op** slot_;
};

using StreamOp = StreamAwaiter<ringo::detail::SizeOp>;
using StreamBorrowOp = StreamAwaiter<ringo::detail::PooledRecvOp>;

}  // namespace detail_net

class TcpStream {
public:
    TcpStream() noexcept = default;
    // Takes ownership of a connected, non-blocking socket.
    explicit TcpStream(int fd, SocketAddr peer = {}) noexcept : fd_(fd), peer_(peer) {}
    TcpStream(TcpStream&& o) noexcept;
    TcpStream& operator=(TcpStream&& o) noexcept;
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;
    // Closes without waiting (pending ops are cancelled first).
    ~TcpStream();

    static Task<Result<TcpStream>> connect(SocketAddr addr, ConnectOptions options = {});
    // Resolves host_port without blocking the loop, then tries each address.
    static Task<Result<TcpStream>> connect(std::string_view host_port, ConnectOptions options = {});

    // Awaits to Result<size_t>: bytes read, 0 at EOF.
    detail_net::StreamOp read(std::span<std::byte> buf) noexcept;
    detail_net::StreamOp read(std::span<char> buf) noexcept { return read(std::as_writable_bytes(buf)); }
    // Awaits to Result<size_t>: bytes written, possibly fewer than asked.
    detail_net::StreamOp write(std::span<const std::byte> buf) noexcept;
    detail_net::StreamOp write(std::string_view s) noexcept { return write(std::as_bytes(std::span(s))); }

    // Borrowed read: awaits to Result<BorrowedBuffer>, the bytes that arrived
    // (empty at EOF) in a buffer the runtime lends from its pool only once
    // data is there, so a connection parked here holds no read buffer. Give
    // the buffer back (let it go out of scope) when done with the bytes.
    // When every pool buffer is lent out the read waits for one.
    detail_net::StreamBorrowOp read_borrowed() noexcept;

    // Fills buf completely; errc::unexpected_eof if the peer ends first.
    Task<Result<void>> read_exact(std::span<std::byte> buf);
    Task<Result<void>> read_exact(std::span<char> buf) { return read_exact(std::as_writable_bytes(buf)); }
    // Writes all of buf, across as many sends as it takes.
    Task<Result<void>> write_all(std::span<const std::byte> buf);
    Task<Result<void>> write_all(std::string_view s) { return write_all(std::as_bytes(std::span(s))); }

    ringo::detail::VoidOp shutdown(Shutdown how) noexcept;
    // Pending ops on this stream complete with operation_canceled, then the
    // socket closes. The stream is empty from the call on.
    ringo::detail::VoidOp close() noexcept;

    void set_read_deadline(Clock::time_point t) noexcept;
    void set_write_deadline(Clock::time_point t) noexcept;
    void set_deadline(Clock::time_point t) noexcept {
        set_read_deadline(t);
        set_write_deadline(t);
    }

    Result<void> set_nodelay(bool on) noexcept;
    Result<void> set_keepalive(bool on) noexcept;
    Result<SocketAddr> local_addr() const;
    Result<SocketAddr> peer_addr() const;

    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }
    // Gives up ownership of the fd (no close).
    int release() noexcept;

private:
    void adopt(TcpStream& o) noexcept;
    void forget_pending() noexcept;

    int fd_ = -1;
    std::int64_t read_deadline_ = 0;
    std::int64_t write_deadline_ = 0;
    ringo::detail::Op* pending_read_ = nullptr;
    ringo::detail::Op* pending_write_ = nullptr;
    SocketAddr peer_;
};

}  // namespace ringo::net
