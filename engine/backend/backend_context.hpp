// BackendContext: all a backend may reach of the runtime that owns it. It
// is handed to the backend when the backend is built (outside the core, by
// engine/runtime/backend_factory), and it is narrow on purpose: the op slab
// to name ops by user_data, the buffer pool behind borrowed reads, the
// stats counters the backend keeps, the log hook, the options, and the
// list that carries completions back. A backend never includes the core.
#pragma once

#include "engine/backend/buf_pool.hpp"
#include "engine/backend/completion_list.hpp"
#include "engine/backend/op_pool.hpp"

#include <ringo/engine/runtime_options.hpp>
#include <ringo/engine/stats.hpp>

#include <string_view>

namespace ringo::detail {

struct BackendContext {
    OpPool& ops;
    BufPool& buffers;
    Stats& stats;
    CompletionList& completed;
    const RuntimeOptions& options;

    // RuntimeOptions::log, or stderr without one; never throws.
    void log(std::string_view line) const noexcept { log_line(options, line); }
    static void log_line(const RuntimeOptions& options, std::string_view line) noexcept;
};

}  // namespace ringo::detail
