#include "backend_factory.hpp"

#include "../uring/uring_backend.hpp"

#if RINGO_HAVE_EPOLL_BACKEND
#include "../../compat/epoll/epoll_backend.hpp"
#endif

#include <cstdlib>
#include <string>

namespace ringo::detail {
namespace {

Result<std::unique_ptr<IoBackend>> make_epoll(Core& core, const RuntimeOptions& options) {
#if RINGO_HAVE_EPOLL_BACKEND
    return EpollBackend::create(core, options);
#else
    (void)core;
    (void)options;
    return Error(errc::backend_unavailable, "epoll: backend not built");
#endif
}

}  // namespace

Result<std::unique_ptr<IoBackend>> make_backend(Core& core, const RuntimeOptions& options,
                                                std::string& fallback_reason) {
    Backend want = options.backend;
    if (want == Backend::automatic) {
        if (const char* env = std::getenv("RINGO_BACKEND"); env && *env) {
            auto parsed = parse_backend(env);
            if (!parsed)
                return Error(std::make_error_code(std::errc::invalid_argument),
                             std::string("RINGO_BACKEND=") + env + ": expected uring, epoll or auto");
            want = *parsed;
        }
    }
    switch (want) {
    case Backend::uring: return UringBackend::create(core, options);
    case Backend::epoll: return make_epoll(core, options);
    case Backend::automatic: break;
    }
    auto uring = UringBackend::create(core, options);
    if (uring) return uring;
    fallback_reason = uring.error_info().context();
    return make_epoll(core, options);
}

}  // namespace ringo::detail
