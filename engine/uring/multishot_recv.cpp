#include "engine/uring/multishot_recv.hpp"

#include "compat/uring/uring_shims.hpp"

#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ringo::detail {

int MultishotRecv::init() noexcept {
    try {
        next_.assign(pool_.capacity(), none);
        length_.assign(pool_.capacity(), 0);
    } catch (...) {
        return ENOMEM;
    }
    return 0;
}

bool MultishotRecv::takes(const Op& op) const noexcept {
    if (op.fd < 0 || op.fd > max_fd || !(op.hints & op_hint::stream) || op.msg_flags != 0) return false;
    if (op.kind == OpKind::recv_pooled) return true;
    if (op.kind != OpKind::recv) return false;
    const Stream* s = find(op.fd);
    return s && s->active();
}

MultishotRecv::Stream* MultishotRecv::stream(int fd) noexcept {
    auto i = static_cast<std::size_t>(fd);
    if (i >= streams_.size()) {
        try {
            // Exactly to i: the vector's own growth keeps this amortised,
            // and no entry past the highest fd is constructed (touched).
            streams_.resize(i + 1);
        } catch (...) {
            return nullptr;
        }
    }
    return &streams_[i];
}

bool MultishotRecv::start(Op& op) noexcept {
    Stream* s = stream(op.fd);
    if (!s) {
        op.result = -ENOMEM;
        return true;
    }
    if (s->waiters.empty() && take(*s, op)) return true;
    if (!s->armed && !arm(op.fd, *s)) {
        op.result = -EBUSY;  // the ring refuses submits; the loop's wait says so
        return true;
    }
    s->waiters.push(op);
    return false;
}

bool MultishotRecv::arm(int fd, Stream& s) noexcept {
    io_uring_sqe* sqe = hooks_.sqe();
    if (!sqe) return false;
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = static_cast<__u16>(group_);
    const std::uint64_t budget = std::uint64_t{read_ahead_} * pool_.buffer_size();
    compat::set_recv_byte_limit(sqe, static_cast<std::uint32_t>(std::min<std::uint64_t>(budget, UINT32_MAX)));
    io_uring_sqe_set_data64(sqe, tag(fd, s.serial));
    s.armed = true;
    s.cancel_sent = false;
    ++armed_count_;
    ++arms_;
    return true;
}

void MultishotRecv::send_cancel(int fd, Stream& s) noexcept {
    if (!s.armed || s.cancel_sent) return;
    io_uring_sqe* sqe = hooks_.sqe();
    if (!sqe) return;  // the ring refuses submits: the loop's wait says so
    io_uring_prep_cancel64(sqe, tag(fd, s.serial), 0);
    io_uring_sqe_set_data64(sqe, 0);  // the backend ignores user_data 0
    s.cancel_sent = true;
}

void MultishotRecv::push(Stream& s, std::uint32_t bid, std::int32_t len) noexcept {
    const auto id = static_cast<std::uint16_t>(bid);
    length_[bid] = len;
    next_[bid] = none;
    if (s.tail != none) next_[s.tail] = id;
    else s.head = id;
    s.tail = id;
    ++s.queued;
    pool_.note_held();
}

std::uint32_t MultishotRecv::pop(Stream& s) noexcept {
    const std::uint32_t bid = s.head;
    s.head = next_[bid];
    if (s.head == none) s.tail = none;
    --s.queued;
    s.head_off = 0;
    pool_.note_released();
    return bid;
}

bool MultishotRecv::take(Stream& s, Op& op) noexcept {
    if (s.queued > 0) {
        const std::uint32_t bid = s.head;
        const auto len = static_cast<std::uint32_t>(length_[bid]);
        const std::uint32_t off = s.head_off;
        std::byte* data = pool_.data(bid);
        if (op.kind == OpKind::recv_pooled) {
            pop(s);
            // What a plain recv left of the buffer moves to its start: the
            // loan is a whole buffer, from its first byte.
            if (off > 0) std::memmove(data, data + off, len - off);
            op.buf_id = static_cast<std::int32_t>(bid);
            op.result = static_cast<std::int32_t>(len - off);
            return true;
        }
        const std::uint32_t n = std::min(op.len, len - off);
        std::memcpy(op.buf, data + off, n);
        if (off + n == len) {
            pop(s);
            hooks_.give_back(bid);
        } else {
            s.head_off = off + n;
        }
        op.result = static_cast<std::int32_t>(n);
        return true;
    }
    if (s.end <= 0) {
        op.result = s.end;  // once; a later read asks the kernel again
        s.end = no_end;
        return true;
    }
    return false;
}

void MultishotRecv::serve(int fd, Stream& s) noexcept {
    while (Op* w = s.waiters.front()) {
        if (!take(s, *w)) break;
        s.waiters.pop();
        hooks_.finished(*w);
    }
    if (!s.waiters.empty() && !s.armed && !arm(fd, s)) fail_waiters(s, -EBUSY);
    if (s.armed && s.queued >= read_ahead_) send_cancel(fd, s);
}

void MultishotRecv::on_cqe(std::uint64_t ud, int res, std::uint32_t flags) noexcept {
    const int fd = static_cast<int>(ud & 0xff'ffff);
    const auto serial = static_cast<std::uint32_t>(ud >> 32);
    const bool more = flags & IORING_CQE_F_MORE;
    constexpr std::uint32_t no_buffer = UINT32_MAX;
    const std::uint32_t bid = (flags & IORING_CQE_F_BUFFER) ? flags >> IORING_CQE_BUFFER_SHIFT : no_buffer;
    if (!more && armed_count_ > 0) --armed_count_;  // this request has ended, whichever life it served
    Stream* s = find(fd);
    if (!s || s->serial != serial || (bid != no_buffer && bid >= next_.size())) {
        if (bid != no_buffer) hooks_.give_back(bid);  // the file it read from is gone
        return;
    }
    if (!more) {
        s->armed = false;
        s->cancel_sent = false;
    }
    if (res > 0 && bid != no_buffer) {
        push(*s, bid, res);
    } else {
        if (bid != no_buffer) hooks_.give_back(bid);
        if (res == -ENOBUFS) {
            // The ring ran dry and ended the request. Re-arming now would
            // only fail again: borrowed reads wait in the core for a buffer
            // (and re-arm when they start again), plain reads, which bring
            // their own, go to the kernel one shot each.
            while (Op* w = s->waiters.pop()) {
                if (w->kind == OpKind::recv_pooled) {
                    w->result = -ENOBUFS;
                    hooks_.finished(*w);
                } else {
                    hooks_.resubmit(*w);
                }
            }
        } else if (res != -ECANCELED) {
            // EOF or an error, behind whatever came before it. ECANCELED is
            // our own backpressure cancel: nothing for the reader.
            s->end = static_cast<std::int16_t>(res > 0 || res < -4095 ? -EIO : res);
        }
    }
    serve(fd, *s);
}

bool MultishotRecv::cancel(Op& op) noexcept {
    Stream* s = find(op.fd);
    if (!s || !s->waiters.remove(op)) return false;
    // Read-ahead goes on: what arrives waits, bounded, for the next read.
    op.result = -ECANCELED;
    hooks_.finished(op);
    return true;
}

void MultishotRecv::fail_waiters(Stream& s, int err) noexcept {
    while (Op* w = s.waiters.pop()) {
        w->result = err;
        hooks_.finished(*w);
    }
}

void MultishotRecv::reset(Stream& s) noexcept {
    fail_waiters(s, -ECANCELED);
    while (s.queued > 0) hooks_.give_back(pop(s));
    s.end = no_end;
    s.armed = false;  // still counted in armed_count_ until its last CQE
    s.cancel_sent = false;
    // The request's last CQEs may still come: tag the next life of this
    // number differently, so they are recognised as stale.
    ++s.serial;
}

void MultishotRecv::on_close(int fd) noexcept {
    Stream* s = find(fd);
    if (s && s->active()) reset(*s);  // the close's cancel-by-fd ends the request
}

void MultishotRecv::on_new_file(int fd) noexcept {
    Stream* s = find(fd);
    if (!s || !s->active()) return;
    // The old file was closed behind the runtime's back; the request keeps
    // it open until it ends, so end it.
    send_cancel(fd, *s);
    reset(*s);
}

std::size_t MultishotRecv::cancel_all() noexcept {
    for (std::size_t fd = 0; fd < streams_.size(); ++fd)
        if (streams_[fd].armed) send_cancel(static_cast<int>(fd), streams_[fd]);
    return armed_count_;
}

}  // namespace ringo::detail
