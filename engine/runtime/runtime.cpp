#include <ringo/engine/runtime.hpp>

#include "engine/runtime/backend_factory.hpp"
#include "engine/src/core.hpp"

#include <stdexcept>

namespace ringo {

Runtime::Runtime(RuntimeOptions options) {
    auto core = detail::Core::create(std::move(options));
    if (!core) throw ResultError(core.error_info());
    // Built here, not by the core: the core knows backends only as IoBackend.
    std::string fallback_reason;
    auto backend = detail::make_backend((*core)->backend_context(), fallback_reason);
    if (!backend) throw ResultError(backend.error_info());
    (*core)->attach(std::move(*backend), std::move(fallback_reason));
    core_ = std::move(*core);
    core_->owner = this;
}

Runtime* Runtime::current() noexcept { return detail::tls_core ? detail::tls_core->owner : nullptr; }

Runtime::~Runtime() {
    // Frames destroyed during teardown may start detached closes: let them
    // find this runtime.
    auto* saved = std::exchange(detail::tls_core, core_.get());
    core_.reset();
    detail::tls_core = saved;
}

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options) {
    try {
        return std::make_unique<Runtime>(std::move(options));
    } catch (const ResultError& e) {
        return e.error();
    }
}

void Runtime::enter() {
    if (detail::tls_core) throw std::logic_error("ringo::Runtime::block_on called from inside a runtime");
    if (int err = core_->enter(); err != 0)
        throw ResultError(core_->backend().thread_error(err));
    detail::tls_core = core_.get();
}

void Runtime::leave() noexcept {
    core_->leave();
    detail::tls_core = nullptr;
}

bool Runtime::halted() const noexcept { return core_->halted(); }

void Runtime::throw_unfinished() const {
    if (int err = core_->wait_error())
        throw ResultError(Error(errno_code(err), std::string("block_on: the ") + core_->backend().name() +
                                                     " wait failed, so the loop cannot run"));
    throw ResultError(Error(errc::operation_canceled,
                            "block_on: stopped, and the task waits on something the runtime cannot cancel"));
}
void Runtime::watch_root(const bool* done) noexcept { core_->set_root(done); }
void Runtime::turn() { core_->turn(); }
void Runtime::drain() { core_->drain(); }
void Runtime::stop() noexcept { core_->request_stop(); }
Backend Runtime::backend() const noexcept { return core_->backend().kind(); }
const char* Runtime::backend_name() const noexcept { return core_->backend().name(); }
const std::string& Runtime::fallback_reason() const noexcept { return core_->fallback_reason(); }
FeatureSet Runtime::fast_paths() const noexcept { return core_->backend().fast_paths(); }
Stats Runtime::stats() const noexcept {
    Stats s = core_->stats();
    s.buffers_circulating = core_->buffers().circulating();
    s.buffers_lent = core_->buffers().lent();
    s.buffers_read_ahead = core_->buffers().held();
    return s;
}
const RuntimeOptions& Runtime::options() const noexcept { return core_->options(); }

const char* backend_name(Backend b) noexcept {
    switch (b) {
    case Backend::automatic: return "auto";
    case Backend::uring: return "io_uring";
    case Backend::epoll: return "epoll";
    }
    return "?";
}

std::optional<Backend> parse_backend(std::string_view s) noexcept {
    if (s == "auto" || s == "automatic") return Backend::automatic;
    if (s == "uring" || s == "io_uring" || s == "io-uring") return Backend::uring;
    if (s == "epoll") return Backend::epoll;
    return std::nullopt;
}

}  // namespace ringo
