// ringo's own error conditions. Kernel failures travel as errno values in the
// system category; the conditions below have no errno of their own, or need to
// be told apart from one (a deadline and a cancel both surface as ECANCELED
// from io_uring).
#pragma once

#include <system_error>

namespace ringo {

enum class errc {
    operation_canceled = 1,  // cancelled through a handle, by stop(), or by close()
    timed_out,               // a deadline or with_timeout() expired
    closed,                  // the object was closed before or during the operation
    unexpected_eof,          // read_exact() met EOF before the buffer was full
    invalid_address,         // a socket address string did not parse
    resolve_failed,          // a host name had no usable address
    backend_unavailable,     // the requested backend cannot run here
    no_runtime,              // an operation was started outside Runtime::block_on
};

const std::error_category& ringo_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), ringo_category()};
}

// errno (positive) to a system error_code.
inline std::error_code errno_code(int err) noexcept {
    return {err, std::system_category()};
}

}  // namespace ringo

template <>
struct std::is_error_code_enum<ringo::errc> : std::true_type {};
