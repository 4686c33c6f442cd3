#include "engine/runtime/backend_factory.hpp"

#include "engine/src/quote.hpp"

#include "engine/uring/uring_backend.hpp"

#include <ringo/engine/probe.hpp>

#if RINGO_HAVE_EPOLL_BACKEND
#include "compat/epoll/epoll_backend.hpp"
#endif

#include <cstdlib>
#include <string>

namespace ringo::detail {
namespace {

Result<std::unique_ptr<IoBackend>> make_epoll(const BackendContext& ctx) {
#if RINGO_HAVE_EPOLL_BACKEND
    return EpollBackend::create(ctx);
#else
    (void)ctx;
    return Error(errc::backend_unavailable, "epoll: backend not built");
#endif
}

}  // namespace

Result<Backend> backend_from_env(std::string_view value) {
    if (auto parsed = parse_backend(value)) return *parsed;
    return Error(std::make_error_code(std::errc::invalid_argument),
                 "RINGO_BACKEND=" + quoted(value) + ": expected uring, epoll or auto");
}

Result<std::unique_ptr<IoBackend>> make_backend(const BackendContext& ctx, std::string& fallback_reason) {
    const RuntimeOptions& options = ctx.options;
    // Checked even for epoll, so a misspelt name fails wherever it is used.
    auto disabled = disabled_features(options);
    if (!disabled) return disabled.error_info();
    Backend want = options.backend;
    if (want == Backend::automatic) {
        if (const char* env = std::getenv("RINGO_BACKEND"); env && *env) {
            auto parsed = backend_from_env(env);
            if (!parsed) return parsed.error_info();
            want = *parsed;
        }
    }
    if (want == Backend::epoll) return make_epoll(ctx);

    // The process's one probe (cached) decides; this runtime's disabled
    // features shape the verdict. Creation-time cost only.
    const Verdict verdict = decide(probe(), *disabled);
    if (verdict.backend != Backend::uring) {
        if (want == Backend::uring) return Error(errc::backend_unavailable, "io_uring: " + verdict.reason);
        fallback_reason = verdict.reason;
        return make_epoll(ctx);
    }
    auto uring = UringBackend::create(ctx, verdict.used());
    if (uring || want == Backend::uring) return uring;
    // The probe's ring set up but this one did not (a deeper queue_depth).
    fallback_reason = uring.error_info().context();
    return make_epoll(ctx);
}

}  // namespace ringo::detail
