// CompletionList: how a backend hands ops back to the core. The backend
// never calls into the core: it appends an op here when its final
// completion is known, or (a pooled read on a readiness backend) when its
// fd turned readable, and the core takes the list after each call into the
// backend (start, cancel, poll, fd_opened) and finishes what is there.
// Asio's reactor hands completions back the same way (op_queue).
//
// Intrusive (OpQueue): when a backend is done with an op, no queue of the
// backend holds it any more.
#pragma once

#include "engine/backend/op_queue.hpp"

#include <ringo/engine/op.hpp>

#include <cstdint>

namespace ringo::detail {

class CompletionList {
public:
    // The op's final completion, in the CQE convention.
    void completed(Op& op, int result, std::uint32_t flags = 0) noexcept {
        op.result = result;
        op.completion_flags = flags;
        op.notice = Op::Notice::completed;
        append(op);
    }
    // A pooled read's fd is readable: the core runs the read right before
    // its task resumes, so a buffer is lent only while the task runs. The op
    // stays with the backend: its restart is a start() like any other.
    void readable(Op& op) noexcept {
        op.notice = Op::Notice::readable;
        append(op);
    }

    bool empty() const noexcept { return ops_.empty(); }
    Op* pop() noexcept { return ops_.pop(); }

private:
    void append(Op& op) noexcept { ops_.push(op); }

    OpQueue ops_;
};

}  // namespace ringo::detail
