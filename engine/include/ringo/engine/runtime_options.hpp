// How a Runtime is built: which backend, how deep its queues, which fast
// paths it may use. Every fast path has a switch so tests can walk the plain
// path on a kernel that offers the fast one.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ringo {

enum class Backend : std::uint8_t {
    automatic,  // io_uring if it works here, else epoll (says why, once)
    uring,
    epoll,
};

const char* backend_name(Backend b) noexcept;
// "auto", "uring", "io_uring", "epoll"; nullopt for anything else.
std::optional<Backend> parse_backend(std::string_view s) noexcept;

// The pool behind borrowed reads (TcpStream::read_borrowed, io::recv_pooled):
// a read takes a buffer only once data has arrived, so a parked connection
// holds none. The memory is reserved at the first borrowed read and its
// pages are touched only as buffers come into use; buffers enter
// circulation in steps of `initial`, one step per loop turn in which reads
// still wait with none free, up to `count`. With all `count` lent out, further reads wait
// for one to come back (backpressure), they never fail for it.
struct ReadBufferOptions {
    std::uint32_t size = 16384;   // bytes per buffer (at most 1 GiB)
    std::uint32_t count = 1024;   // at most 32768 (the io_uring buffer ring's limit)
    std::uint32_t initial = 16;   // buffers in circulation at first
    // io_uring with multishot receive: buffers a stream may have filled
    // before its task asks for them (read-ahead). Past it the stream's
    // request ends until the task reads, so one fast sender cannot take
    // the pool.
    std::uint32_t read_ahead = 4;
};

struct RuntimeOptions {
    // automatic defers to the RINGO_BACKEND environment variable when set.
    Backend backend = Backend::automatic;
    // Submission queue entries (io_uring) or events per wait (epoll).
    unsigned queue_depth = 256;

    // Fast paths, each with its plain fallback.
    bool multishot_accept = true;  // io_uring: one accept request serves many connections
    bool defer_taskrun = true;     // io_uring: SINGLE_ISSUER|DEFER_TASKRUN ring (linux 6.1)
    bool speculative_send = true;  // try send() in place before queuing it
    ReadBufferOptions read_buffers;
    // Features to treat as missing, comma separated: "multishot_accept,defer_taskrun", or "all"
    // for every fast path (names: ringo-probe --list). RINGO_DISABLE adds to it. An unknown name
    // fails Runtime creation.
    std::string disable;

    // Called once with a one-line reason when automatic selection falls back,
    // and for other notices. Empty: print to stderr.
    std::function<void(std::string_view)> log;
    // Called when a detached task ends with an exception. Empty: print to stderr.
    std::function<void(std::exception_ptr)> on_task_exception;
};

}  // namespace ringo
