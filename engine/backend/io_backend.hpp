// The interface both kernel backends implement: io_uring (engine/uring) and
// epoll (compat/epoll). It is batch-level and small on purpose: every method
// here must be honoured by both, so nothing above it can tell them apart.
//
// Completions flow one way: a backend appends each op it is done with to
// its BackendContext's CompletionList (from any of the calls below), and
// the core finishes them after the call returns. A backend never calls the
// core and never includes a core header (tests/lint checks it).
#pragma once

#include <ringo/engine/feature.hpp>
#include <ringo/engine/op.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/runtime_options.hpp>

#include <cstdint>
#include <string>

namespace ringo::detail {

class IoBackend {
public:
    virtual ~IoBackend() = default;

    virtual Backend kind() const noexcept = 0;
    virtual const char* name() const noexcept = 0;

    // Takes an op of a kernel kind (everything but timeout and wait). Returns
    // true when it completed during the call: op.result is set and nothing
    // will be delivered later. Returns false when it is in flight: exactly
    // one final completion will reach the CompletionList. Other ops it ends
    // on the way (a close cancels the ops parked on its fd) go there too.
    virtual bool start(Op& op) noexcept = 0;

    // Asks that an in-flight op stop early. The op still completes through
    // the CompletionList, with -ECANCELED or with its real result if it won.
    // Never fails for lack of queue space.
    virtual void cancel(Op& op) noexcept = 0;

    // Hands queued work to the kernel and waits until at least one completion
    // arrives, wake() is called, or timeout_ns passes (-1: no limit, 0: do not
    // wait). Completions go to the CompletionList. Returns 0 or -errno.
    virtual int poll(std::int64_t timeout_ns) noexcept = 0;

    // Pooled reads (OpKind::recv_pooled): buffer `bid` of the context's
    // BufPool enters circulation, or comes back from a loan. The backend
    // hands it to the kernel (a provided-buffer ring) or to the pool's free
    // stack, whichever its recv_pooled takes buffers from. It sets op.buf_id
    // on a completion that carries one and lets the core keep the books.
    virtual void recycle_buffer(std::uint32_t bid) noexcept = 0;

    // A pooled read on op.fd would complete at once from bytes the backend
    // already holds for it (io_uring's read-ahead), taking no new buffer:
    // the core then starts it even while other reads wait for buffers
    // (parking it behind them would leave those bytes held, and with the
    // pool at capacity nothing would ever free one).
    virtual bool holds_data_for(const Op& op) const noexcept {
        (void)op;
        return false;
    }

    // Interrupts poll() from any thread or a signal handler.
    virtual void wake() noexcept = 0;

    // fd was just opened outside the backend (socket(2) in net/, a user's
    // socketpair, through io::opened): it names a new file, so anything
    // kept about that number belongs to an earlier file, closed behind the
    // runtime's back with close(2). Drop it; ops still waiting on the old
    // file complete with -ECANCELED. No syscall. The core calls it for the
    // fds completions bring in too (accept results, SCM_RIGHTS). io_uring
    // ends the old file's read-ahead here (its multishot recv keeps that
    // file open) and drops what it had queued.
    virtual void fd_opened(int fd) noexcept { (void)fd; }

    // block_on begins on the calling thread (0, or an errno that refuses
    // it, with thread_error(errno) saying why), and ends there. io_uring
    // binds a SINGLE_ISSUER ring to the first such thread and registers the
    // ring fd for the call's duration; epoll needs neither.
    virtual int enter_thread() noexcept { return 0; }
    virtual void leave_thread() noexcept {}
    virtual Error thread_error(int err) const { return Error(errno_code(err), "block_on"); }

    // The engine fast paths (ringo/engine/feature.hpp) this instance really
    // uses, fixed at creation. epoll has none.
    virtual FeatureSet fast_paths() const noexcept { return {}; }
};

}  // namespace ringo::detail
