// Borrowed reads (OpKind::recv_pooled), the core's side: buffers lent from
// the pool only once data is there, reads parked while none is free, and
// reads handed back on readiness (deferred until their task runs, stamped
// with their fd's epoch). Both backends are users of this, through
// IoBackend::recycle_buffer and CompletionList::readable; a second pooled
// kind (datagrams) is one more.
#include "engine/src/core.hpp"

#include <cerrno>

namespace ringo::detail {

// --- pooled reads ----------------------------------------------------------
//
// A recv_pooled op goes to the backend with no buffer; the backend (or the
// kernel) picks one from the pool when data is there and sets op.buf_id.
// The core keeps the books: every buffer a completion carries is counted
// lent until give_back_buffer. -ENOBUFS never reaches a waiter: the pool
// grows if it may, and the op parks here (still in flight, cancellable)
// until a buffer is free, then starts again.

int Core::prepare_pooled(Op& op) noexcept {
    if (!buffers_.mapped()) {
        if (int err = buffers_.ensure_mapped(); err != 0) return -err;
        grow_buffers();
    }
    op.buf = nullptr;
    op.len = buffers_.buffer_size();
    op.buf_id = -1;
    return 0;
}

void Core::grow_buffers() noexcept {
    auto [first, last] = buffers_.grow();
    for (auto bid = first; bid < last; ++bid) backend_->recycle_buffer(bid);
}

// One completion of a pooled read, inline or from the backend. Returns true
// when it parked the op to wait for a buffer.
bool Core::settle_pooled(Op& op, int result) noexcept {
    if (op.buf_id >= 0) {
        buffers_.note_lent();
        op.buf = buffers_.data(static_cast<std::uint32_t>(op.buf_id));
        // No bytes, no loan: EOF and errors give the buffer straight back.
        if (result <= 0 || op.state == OpState::abandoned) {
            give_back_buffer(static_cast<std::uint32_t>(op.buf_id));
            op.buf_id = -1;
            op.buf = nullptr;
        }
    }
    if (result != -ENOBUFS || op.state == OpState::abandoned || op.cancel_reason != CancelReason::none) return false;
    // Growth waits for the next turn (restart_buffer_waiters): a burst
    // whose tasks give their buffers back within the turn needs no more.
    park_for_buffer(op);
    return true;
}

void Core::park_for_buffer(Op& op) noexcept {
    ++stats_.buffer_waits;
    op.state = OpState::buffer_wait;
    buf_waiters_.push(op);
}

void Core::give_back_buffer(std::uint32_t bid) noexcept {
    buffers_.note_returned();
    backend_->recycle_buffer(bid);
}

void Core::unlink_buffer_waiter(Op* op) noexcept {
    buf_waiters_.remove(*op);
    op->state = OpState::in_flight;
}

void Core::deliver_readable(Op& op) noexcept {
    if (op.state == OpState::abandoned) {  // readiness won against its cancel
        finish(op, -ECANCELED, 0);
        return;
    }
    if (!fd_epochs_.stamp(op.fd, op.fd_epoch)) {
        complete(op, -ENOMEM, 0);
        return;
    }
    op.state = OpState::readable;
    push_resume(op);
}

void Core::restart_buffer_waiters() noexcept {
    // Runs before the turn's tasks, so the restarted reads reach the
    // backend ahead of the reads those tasks start. Reads still waiting
    // with no buffer free after a whole turn: the buffers are held across
    // turns (sends in flight), so more must circulate.
    if (!buf_waiters_.empty() && buffers_.free() == 0) grow_buffers();
    // As many as there are free buffers: a restarted read that still finds
    // none (another read took it) simply parks again.
    for (std::uint32_t budget = buffers_.free(); budget > 0 && !buf_waiters_.empty(); --budget) {
        Op* op = buf_waiters_.front();
        unlink_buffer_waiter(op);
        if (backend_start(*op)) complete(*op, op->result, 0);
    }
}

}  // namespace ringo::detail
