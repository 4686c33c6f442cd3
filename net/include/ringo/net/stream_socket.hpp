// StreamSocket: what every connected stream socket (TCP today, Unix domain
// next) does the same way: one fd whose reads and writes "block" the calling
// task, Go style, while the runtime multiplexes underneath; deadlines; close
// and shutdown. TcpStream adds what is TCP's own.
//
// Deadlines follow Go's net.Conn: a deadline is an absolute time; once it
// has passed, the pending read (or write) and every later one fail with
// errc::timed_out, and the connection stays usable: set a new deadline (or
// clear it with Clock::time_point{}) and carry on.
#pragma once

#include <ringo/engine/io.hpp>
#include <ringo/engine/pending_ops.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/task.hpp>
#include <ringo/engine/time.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <sys/socket.h>

namespace ringo::net {

enum class Shutdown { read = SHUT_RD, write = SHUT_WR, both = SHUT_RDWR };

namespace detail_net {

// A read or write, listed in the stream's pending ops for its direction
// while in flight, so a deadline set meanwhile reaches it.
using StreamOp = ringo::detail::TrackedOp<ringo::detail::SizeOp>;
using StreamBorrowOp = ringo::detail::TrackedOp<ringo::detail::PooledRecvOp>;

}  // namespace detail_net

class StreamSocket {
public:
    StreamSocket(const StreamSocket&) = delete;
    StreamSocket& operator=(const StreamSocket&) = delete;

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

    // Every pending read (or write) and every later one, as Go's
    // SetReadDeadline: not only the latest.
    void set_read_deadline(Clock::time_point t) noexcept;
    void set_write_deadline(Clock::time_point t) noexcept;
    void set_deadline(Clock::time_point t) noexcept {
        set_read_deadline(t);
        set_write_deadline(t);
    }

    bool is_open() const noexcept { return fd_ >= 0; }
    int native_handle() const noexcept { return fd_; }
    // Gives up ownership of the fd (no close).
    int release() noexcept;

protected:
    StreamSocket() noexcept = default;
    // Takes ownership of a connected, non-blocking stream socket.
    explicit StreamSocket(int fd) noexcept : fd_(fd) {}
    StreamSocket(StreamSocket&& o) noexcept;
    StreamSocket& operator=(StreamSocket&& o) noexcept;
    // Closes without waiting (pending ops are cancelled first). Not virtual:
    // a stream is never deleted through its base.
    ~StreamSocket();

private:
    // Forgets the pending ops, then closes without waiting.
    void close_detached() noexcept;

    int fd_ = -1;
    std::int64_t read_deadline_ = 0;
    std::int64_t write_deadline_ = 0;
    // Ops in flight name these lists; the lists follow a move.
    ringo::detail::PendingOps pending_reads_;
    ringo::detail::PendingOps pending_writes_;
};

}  // namespace ringo::net
