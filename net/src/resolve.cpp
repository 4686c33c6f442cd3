// resolve_async. Protocol between the waiting task and its lookup thread:
//
//   task: eventfd, start thread ----------------- await read(efd)
//   thread: getaddrinfo ... lock; store result; if efd >= 0: write(efd, 1); unlock
//   task, after the read (done, cancelled, or frame destroyed):
//         lock; efd = -1; unlock; then close the eventfd
//
// The write happens under the mutex and only while efd is still set, so
// once the task has cleared it the thread never touches that fd number
// again, however late its lookup ends: the task may close the eventfd and
// the number may be reused at once. The Lookup is held by both through a
// shared_ptr; whichever lets go last frees it, so a cancelled waiter leaves
// the thread nothing dangling. The thread owns copies of its inputs.
#include <ringo/net/resolve.hpp>

#include "net/src/host_port.hpp"

#include <ringo/engine/io.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

namespace ringo::net {
namespace {

using Addrs = Result<std::vector<SocketAddr>>;

std::atomic<detail::BlockingResolve> blocking_resolve{nullptr};
std::atomic<std::size_t> live_lookups{0};

struct Lookup {
    Lookup() noexcept { live_lookups.fetch_add(1, std::memory_order_relaxed); }
    ~Lookup() { live_lookups.fetch_sub(1, std::memory_order_release); }
    Lookup(const Lookup&) = delete;
    Lookup& operator=(const Lookup&) = delete;

    std::mutex mu;
    int efd = -1;                 // guarded by mu; -1 once the waiter stopped listening
    std::optional<Addrs> result;  // guarded by mu
};

void run_lookup(std::shared_ptr<Lookup> lookup, std::string input, detail::BlockingResolve fn) noexcept {
    std::optional<Addrs> r;
    try {
        r.emplace(fn(input));
    } catch (...) {
        r.emplace(Error(errno_code(ENOMEM)));  // no context: it could throw too
    }
    std::lock_guard lock(lookup->mu);
    lookup->result = std::move(r);
    if (lookup->efd >= 0) {
        // Adds 1 to the counter; cannot block or fail short of a 2^64 - 1
        // overflow, which one write per lookup never reaches.
        std::uint64_t one = 1;
        while (::write(lookup->efd, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }
}

// The waiting end: owns the eventfd until it is handed over for closing,
// and stops the thread's writes before that. If the frame is destroyed while
// the read is in flight, the engine first reaps the read, then this closes
// the fd through the runtime.
class Waiter {
public:
    Waiter(std::shared_ptr<Lookup> lookup, int efd) noexcept : lookup_(std::move(lookup)), efd_(efd) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter() {
        if (efd_ >= 0) io::close_detached(stop_listening());
    }

    int fd() const noexcept { return efd_; }

    // After this the thread will not write to the fd: it is ours to close.
    int stop_listening() noexcept {
        std::lock_guard lock(lookup_->mu);
        lookup_->efd = -1;
        return std::exchange(efd_, -1);
    }
    std::optional<Addrs> take_result() {
        std::lock_guard lock(lookup_->mu);
        return std::exchange(lookup_->result, std::nullopt);
    }

private:
    std::shared_ptr<Lookup> lookup_;
    int efd_;
};

// Closes through the runtime like any fd (a close runs even in a cancelled
// scope). With no runtime or no free op slot the close never reached the
// kernel and the fd is still open: close_detached then closes it directly.
Task<void> close_eventfd(int efd) {
    auto closed = co_await io::close(efd);
    if (!closed && (closed.error() == errc::no_runtime || closed.error() == std::errc::not_enough_memory))
        io::close_detached(efd);
}

Task<Addrs> lookup_off_loop(std::string input) {
    auto target = detail::classify_host_port("resolve", input);
    if (!target) co_return target.error_info();
    if (*target) co_return std::vector<SocketAddr>{**target};

    int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) co_return Error(errno_code(errno), fmt::format("resolve {}: eventfd", detail::quote(input)));
    auto lookup = std::make_shared<Lookup>();
    lookup->efd = efd;
    Waiter waiter(lookup, efd);

    auto fn = blocking_resolve.load(std::memory_order_acquire);
    std::error_code no_thread;
    try {
        std::thread(run_lookup, std::move(lookup), input, fn ? fn : &SocketAddr::resolve).detach();
    } catch (const std::system_error& e) {
        no_thread = e.code();
    }
    if (no_thread) {
        co_await close_eventfd(waiter.stop_listening());
        co_return Error(no_thread, fmt::format("resolve {}: cannot start a lookup thread", detail::quote(input)));
    }

    std::uint64_t count = 0;
    auto woken = co_await io::read(waiter.fd(), std::as_writable_bytes(std::span(&count, 1)), UINT64_MAX);
    co_await close_eventfd(waiter.stop_listening());
    if (!woken)
        co_return Error(woken.error(), fmt::format("resolve {}: lookup abandoned", detail::quote(input)));
    auto result = waiter.take_result();
    if (!result)  // the thread stores its answer before it writes: cannot happen
        co_return Error(errc::resolve_failed, fmt::format("resolve {}: woken without an answer", detail::quote(input)));
    co_return std::move(*result);
}

}  // namespace

Task<Result<std::vector<SocketAddr>>> resolve_async(std::string_view host_port) {
    // Not a coroutine itself: the copy is made now, while the caller's
    // string surely lives, not when the lazy task first runs.
    return lookup_off_loop(std::string(host_port));
}

namespace detail {

BlockingResolve set_blocking_resolve_for_testing(BlockingResolve fn) noexcept {
    return blocking_resolve.exchange(fn, std::memory_order_acq_rel);
}

std::size_t lookups_in_flight() noexcept { return live_lookups.load(std::memory_order_acquire); }

}  // namespace detail
}  // namespace ringo::net
