#include <ringo/net/stream_socket.hpp>

#include <utility>

namespace ringo::net {

namespace {
std::int64_t deadline_of(Clock::time_point t) noexcept {
    return t == Clock::time_point{} ? 0 : to_deadline_ns(t);
}
}  // namespace

StreamSocket::StreamSocket(StreamSocket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      read_deadline_(o.read_deadline_),
      write_deadline_(o.write_deadline_),
      pending_reads_(std::move(o.pending_reads_)),
      pending_writes_(std::move(o.pending_writes_)) {}

StreamSocket& StreamSocket::operator=(StreamSocket&& o) noexcept {
    if (this != &o) {
        close_detached();
        fd_ = std::exchange(o.fd_, -1);
        read_deadline_ = o.read_deadline_;
        write_deadline_ = o.write_deadline_;
        pending_reads_ = std::move(o.pending_reads_);
        pending_writes_ = std::move(o.pending_writes_);
    }
    return *this;
}

StreamSocket::~StreamSocket() { close_detached(); }

void StreamSocket::close_detached() noexcept {
    // The ops this close cancels (other tasks' reads) complete later, when
    // this stream is gone or holds another socket's ops: off its lists.
    pending_reads_.detach();
    pending_writes_.detach();
    io::close_detached(std::exchange(fd_, -1));
}

int StreamSocket::release() noexcept { return std::exchange(fd_, -1); }

detail_net::StreamOp StreamSocket::read(std::span<std::byte> buf) noexcept {
    return {pending_reads_, io::stream_recv(fd_, buf, read_deadline_, "read")};
}

detail_net::StreamBorrowOp StreamSocket::read_borrowed() noexcept {
    return {pending_reads_, io::stream_recv_pooled(fd_, read_deadline_, "read")};
}

detail_net::StreamOp StreamSocket::write(std::span<const std::byte> buf) noexcept {
    return {pending_writes_, io::stream_send(fd_, buf, write_deadline_, "write")};
}

Task<Result<void>> StreamSocket::read_exact(std::span<std::byte> buf) {
    std::size_t done = 0;
    while (done < buf.size()) {
        auto n = co_await read(buf.subspan(done));
        if (!n) co_return Result<void>(n.error_info());
        if (*n == 0) co_return Result<void>(errc::unexpected_eof, "read_exact");
        done += *n;
    }
    co_return Result<void>();
}

Task<Result<void>> StreamSocket::write_all(std::span<const std::byte> buf) {
    std::size_t done = 0;
    while (done < buf.size()) {
        auto n = co_await write(buf.subspan(done));
        if (!n) co_return Result<void>(n.error_info());
        done += *n;
    }
    co_return Result<void>();
}

ringo::detail::VoidOp StreamSocket::shutdown(Shutdown how) noexcept {
    return io::shutdown(fd_, static_cast<int>(how));
}

ringo::detail::VoidOp StreamSocket::close() noexcept { return io::close(std::exchange(fd_, -1)); }

void StreamSocket::set_read_deadline(Clock::time_point t) noexcept {
    read_deadline_ = deadline_of(t);
    pending_reads_.set_deadline(read_deadline_);
}

void StreamSocket::set_write_deadline(Clock::time_point t) noexcept {
    write_deadline_ = deadline_of(t);
    pending_writes_.set_deadline(write_deadline_);
}

}  // namespace ringo::net
