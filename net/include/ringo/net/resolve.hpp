// resolve_async: host name resolution that does not block the event loop.
//
// getaddrinfo has no asynchronous form worth using (glibc's getaddrinfo_a
// runs threads of its own and reports by signal or by yet another thread),
// so a name is looked up on a short-lived thread that wakes the waiting task
// through an eventfd, which the task awaits with an ordinary read op.
// Literals and syntax errors never start a thread.
#pragma once

#include <ringo/engine/result.hpp>
#include <ringo/engine/task.hpp>
#include <ringo/net/socket_addr.hpp>

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringo::net {

// Resolves "host:port" as SocketAddr::resolve() does, without blocking the
// loop; await it inside Runtime::block_on. Literals (and errc::invalid_address
// for bad syntax) come back at once; a name takes one thread for the
// duration of its getaddrinfo, so bound the number of lookups in flight
// yourself if names come from untrusted input. The input is copied before
// this returns. Cancelling the awaiting task (JoinHandle::cancel,
// with_timeout) returns operation_canceled or timed_out at once: the eventfd
// is closed, and the thread finishes its lookup alone and drops the answer.
Task<Result<std::vector<SocketAddr>>> resolve_async(std::string_view host_port);

namespace detail {

// Test seams. The blocking function that resolve_async's thread runs
// (SocketAddr::resolve unless replaced); nullptr restores it. Returns the
// one it replaces.
using BlockingResolve = Result<std::vector<SocketAddr>> (*)(std::string_view host_port);
BlockingResolve set_blocking_resolve_for_testing(BlockingResolve fn) noexcept;

// Lookups whose shared state is still alive: started, and not yet both
// answered and given up by their waiter.
std::size_t lookups_in_flight() noexcept;

}  // namespace detail
}  // namespace ringo::net
