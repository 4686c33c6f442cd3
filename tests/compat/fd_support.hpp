// Helpers for the compat tests, which drive the op interface (ringo/engine/
// io.hpp) on raw fds: closes through the runtime, whole sends and reads,
// an unlinked temporary file.
// Socket pairs and a raw TCP listener come from harness.hpp, which every
// test area shares; ringo::yield() lets ready tasks run.
//
// Catch's assertion macros repeat their expression in a dead branch, and
// g++ 12 runs a co_await found there anyway: in every coroutine here and in
// the tests, each await happens first and the assertion checks its value.
#pragma once

#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/runtime.hpp>
#include <ringo/engine/task.hpp>

#include <netinet/in.h>

#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

namespace ringo::test {

// A non-blocking TCP socket, not connected.
int tcp_socket();

// A regular file in /tmp, unlinked at once, so it is gone with its fd.
int temp_file();

inline std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }
inline std::string_view text_of(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Runs make(runtime) on a fresh runtime of backend b, for tests that read
// the runtime's counters.
template <class F>
void run_on(Backend b, F&& make) {
    auto rt = Runtime::create(options_for(b));
    REQUIRE(rt.has_value());
    INFO("backend: " << (*rt)->backend_name());
    (*rt)->block_on(make(**rt));
}

// Closes each fd through the runtime.
Task<void> close_each(std::vector<int> fds);

// Closes fds through the runtime. Variadic rather than a braced list: g++ 12
// cannot keep an initializer_list's array alive across a co_await.
template <class... Fd>
Task<void> close_all(Fd... fds) {
    return close_each(std::vector<int>{fds...});
}

Task<Result<void>> send_all(int fd, std::span<const std::byte> data);
Task<Result<std::vector<std::byte>>> recv_to_eof(int fd);
// One recv of a single byte.
Task<Result<std::size_t>> recv_one(int fd);

inline bool is_canceled(const std::error_code& ec) { return ec == make_error_code(errc::operation_canceled); }
inline bool is_timed_out(const std::error_code& ec) { return ec == make_error_code(errc::timed_out); }

}  // namespace ringo::test
