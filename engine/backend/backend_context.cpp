#include "engine/backend/backend_context.hpp"

#include <fmt/core.h>

#include <cstdio>

namespace ringo::detail {

void BackendContext::log_line(const RuntimeOptions& options, std::string_view line) noexcept {
    try {
        if (options.log) options.log(line);
        else fmt::print(stderr, "{}\n", line);
    } catch (...) {
    }
}

}  // namespace ringo::detail
