#include "engine/uring/multishot_accept.hpp"

#include <liburing.h>

#include <cerrno>
#include <new>
#include <utility>
#include <unistd.h>

namespace ringo::detail {

MultishotAccept::~MultishotAccept() {
    for (auto& s : streams_)
        if (s)
            for (int fd : s->ready) ::close(fd);
}

MultishotAccept::Stream* MultishotAccept::stream(int fd) {
    if (fd < 0 || fd > max_fd) return nullptr;
    auto i = static_cast<std::size_t>(fd);
    if (i >= streams_.size()) streams_.resize(i + 1);
    if (!streams_[i]) streams_[i] = std::make_unique<Stream>();
    return streams_[i].get();
}

bool MultishotAccept::start(Op& op) noexcept {
    Stream* s = nullptr;
    try {
        s = stream(op.fd);
    } catch (const std::bad_alloc&) {
    }
    if (!s) {
        op.result = -ENOMEM;
        return true;
    }
    if (!s->ready.empty()) {
        op.result = s->ready.front();
        op.addrlen = 0;
        s->ready.pop_front();
        return true;
    }
    if (!s->armed && !arm(op.fd, *s)) {
        op.result = -EBUSY;  // the ring refuses submits; the loop's wait says so
        return true;
    }
    op.next = nullptr;
    if (s->waiters_tail) s->waiters_tail->next = &op;
    else s->waiters_head = &op;
    s->waiters_tail = &op;
    return false;
}

void MultishotAccept::fail_waiters(Stream& s, int err) noexcept {
    while (Op* w = s.waiters_head) {
        s.waiters_head = w->next;
        w->next = nullptr;
        hooks_.complete(*w, err);
    }
    s.waiters_tail = nullptr;
}

bool MultishotAccept::arm(int fd, Stream& s) noexcept {
    io_uring_sqe* sqe = hooks_.sqe();
    if (!sqe) return false;
    io_uring_prep_multishot_accept(sqe, fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    io_uring_sqe_set_data64(sqe, tag(fd, s.serial));
    s.armed = true;
    s.cancel_sent = false;
    ++armed_count_;
    return true;
}

void MultishotAccept::send_cancel(int fd, Stream& s) noexcept {
    if (!s.armed || s.cancel_sent) return;
    io_uring_sqe* sqe = hooks_.sqe();
    if (!sqe) return;
    io_uring_prep_cancel64(sqe, tag(fd, s.serial), 0);
    io_uring_sqe_set_data64(sqe, 0);  // the backend ignores user_data 0
    s.cancel_sent = true;
}

bool MultishotAccept::cancel(Op& op) noexcept {
    if (op.fd < 0 || static_cast<std::size_t>(op.fd) >= streams_.size() || !streams_[op.fd]) return false;
    Stream& s = *streams_[op.fd];
    Op* prev = nullptr;
    for (Op* w = s.waiters_head; w; prev = w, w = w->next) {
        if (w != &op) continue;
        if (prev) prev->next = w->next;
        else s.waiters_head = w->next;
        if (s.waiters_tail == w) s.waiters_tail = prev;
        w->next = nullptr;
        hooks_.complete(op, -ECANCELED);
        return true;
    }
    return false;
}

void MultishotAccept::on_close(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= streams_.size() || !streams_[fd]) return;
    Stream& s = *streams_[fd];
    while (Op* w = s.waiters_head) {
        s.waiters_head = w->next;
        w->next = nullptr;
        hooks_.complete(*w, -ECANCELED);
    }
    s.waiters_tail = nullptr;
    for (int c : s.ready) ::close(c);
    s.ready.clear();
    s.armed = false;  // still counted in armed_count_ until its last CQE
    // The close that follows cancels the request by fd; its last CQE may
    // still come, so tag the next life of this fd number differently.
    ++s.serial;
}

void MultishotAccept::on_cqe(std::uint64_t ud, int res, std::uint32_t flags) noexcept {
    int fd = static_cast<int>(ud & 0xff'ffff);
    auto serial = static_cast<std::uint8_t>((ud >> 24) & 0x7f);
    Stream* s = static_cast<std::size_t>(fd) < streams_.size() ? streams_[fd].get() : nullptr;
    bool current = s && (s->serial & 0x7f) == serial;
    bool more = flags & IORING_CQE_F_MORE;
    if (!more) {
        // The request has ended (this life of the fd, or a previous one).
        if (armed_count_ > 0) --armed_count_;
        if (current) s->armed = false;
    }
    if (res >= 0) {
        if (!current) {
            ::close(res);  // the listener it belonged to is gone
            return;
        }
        if (Op* w = s->waiters_head) {
            s->waiters_head = w->next;
            if (!s->waiters_head) s->waiters_tail = nullptr;
            w->next = nullptr;
            w->addrlen = 0;
            hooks_.complete(*w, res);
        } else {
            try {
                s->ready.push_back(res);
            } catch (...) {
                ::close(res);
            }
            if (s->ready.size() >= high_water) send_cancel(fd, *s);
        }
    } else if (current && res != -ECANCELED) {
        // An accept error (EMFILE, EINVAL on a socket that does not
        // listen...) goes to every waiter: re-arming would only repeat it.
        fail_waiters(*s, res);
    }
    if (current && !s->armed && s->waiters_head && !arm(fd, *s)) fail_waiters(*s, -EBUSY);
}

std::size_t MultishotAccept::cancel_all() noexcept {
    for (std::size_t fd = 0; fd < streams_.size(); ++fd)
        if (streams_[fd]) send_cancel(static_cast<int>(fd), *streams_[fd]);
    return armed_count_;
}

}  // namespace ringo::detail
