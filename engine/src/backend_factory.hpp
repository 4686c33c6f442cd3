// The one place that knows both backends: picks and builds one.
#pragma once

#include "backend.hpp"

#include <ringo/engine/result.hpp>

#include <memory>
#include <string>

namespace ringo::detail {

class Core;

// Backend::automatic consults RINGO_BACKEND, then tries io_uring and falls
// back to epoll, leaving the reason in fallback_reason. An explicit choice
// that cannot run is an error naming why, never a silent fallback.
Result<std::unique_ptr<IoBackend>> make_backend(Core& core, const RuntimeOptions& options,
                                                std::string& fallback_reason);

}  // namespace ringo::detail
