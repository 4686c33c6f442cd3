#include "engine/src/core.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <new>

namespace ringo::detail {

void spawn_start(Core* core, SpawnStateBase* st, std::coroutine_handle<> root) {
    st->core = core;
    st->root = root;
    if (!core->add_task(st)) {
        root.destroy();
        st->destroy(st);
        throw std::bad_alloc();
    }
    // A task spawned while the runtime winds down starts cancelled, so it
    // unwinds at its first op instead of keeping block_on waiting.
    if (core->stopping()) st->scope.reason = CancelReason::canceled;
    core->schedule(root, &st->scope);
}

void spawn_finished(SpawnStateBase* st) noexcept {
    Core* core = st->core;
    st->done = true;
    st->root = {};
    core->remove_task(st);
    if (Op* joiner = st->joiner.newest()) core->complete(*joiner, 0, 0);
    if (st->detached && st->error) core->report_exception(st->error);
    st->release();
}

void spawn_detach(SpawnStateBase* st) noexcept {
    st->detached = true;
    if (st->done && st->error && !st->error_observed) {
        // Ended before it was detached, with nobody to see the exception.
        if (st->core && st->core == tls_core) {
            st->core->report_exception(st->error);
        } else {
            try {
                std::rethrow_exception(st->error);
            } catch (const std::exception& e) {
                fmt::print(stderr, "ringo: detached task ended with an exception: {}\n", e.what());
            } catch (...) {
                fmt::print(stderr, "ringo: detached task ended with a non-standard exception\n");
            }
        }
    }
    st->release();
}

void cancel_scope(Core* core, CancelScope* scope, CancelReason reason) noexcept {
    core->cancel_scope(scope, reason);
}

}  // namespace ringo::detail
