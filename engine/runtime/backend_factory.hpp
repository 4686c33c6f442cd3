// The one place that knows both backends: picks one and builds it for a
// core, from the core's BackendContext (the core never sees this file).
#pragma once

#include "engine/backend/backend_context.hpp"
#include "engine/backend/io_backend.hpp"

#include <ringo/engine/result.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace ringo::detail {

// Backend::automatic consults RINGO_BACKEND, then asks ringo::probe()
// whether io_uring works here and falls back to epoll if not, leaving the
// probe's reason in fallback_reason. io_uring's fast paths follow the
// probe's verdict for these options (disabled_features). An explicit choice
// that cannot run is an error naming why, never a silent fallback; so is an
// unknown name in RuntimeOptions::disable or RINGO_DISABLE.
Result<std::unique_ptr<IoBackend>> make_backend(const BackendContext& ctx, std::string& fallback_reason);

// RINGO_BACKEND's value read as make_backend reads it: parse_backend, or
// invalid_argument with the value quoted (detail::quoted). Pure, for the fuzzer.
Result<Backend> backend_from_env(std::string_view value);

}  // namespace ringo::detail
