// Behaviours around multishot requests and provided buffers, each proven on
// a throw-away ring: a kernel that knows an opcode may still refuse a flag
// of it (EINVAL in the completion), so only a completion says yes.
//
//   multishot accept   IORING_ACCEPT_MULTISHOT, linux 5.19
//   buffer rings       IORING_REGISTER_PBUF_RING, linux 5.19
//   multishot recv     IORING_RECV_MULTISHOT with a buffer ring, linux 6.0
//   bundles            IORING_RECVSEND_BUNDLE on send and recv, linux 6.10
//   recv byte budget   sqe->optlen of a multishot recv, linux 6.17
//
// Declaration order: buffer memory and fds, then the Ring, then its
// BufRings. Teardown thus unregisters the buffer rings while the ring lives,
// then tears the ring down (cancelling what is in flight), and only then
// frees the memory and fds those requests used.
#include "engine/probe/probe_parts.hpp"

#include "compat/uring/uring_shims.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace ringo::detail::probe {
namespace {

constexpr unsigned entries = 8;
constexpr int bgid_recv = 1;
constexpr int bgid_send = 2;

// A registered buffer ring, unregistered and unmapped at scope exit.
class BufRing {
public:
    explicit BufRing(Ring& ring) noexcept : ring_(ring) {}
    ~BufRing() {
        if (br_) compat::free_buf_ring(ring_.get(), br_, entries, bgid_);
    }
    BufRing(const BufRing&) = delete;
    BufRing& operator=(const BufRing&) = delete;

    // 0 or errno.
    int init(int bgid) noexcept {
        int err = 0;
        br_ = compat::setup_buf_ring(ring_.get(), entries, bgid, &err);
        bgid_ = bgid;
        return br_ ? 0 : err;
    }
    void add(char* buf, unsigned len, unsigned short bid) noexcept {
        io_uring_buf_ring_add(br_, buf, len, bid, io_uring_buf_ring_mask(entries), added_++);
    }
    void publish() noexcept {
        io_uring_buf_ring_advance(br_, added_);
        added_ = 0;
    }

private:
    Ring& ring_;
    io_uring_buf_ring* br_ = nullptr;
    int bgid_ = 0;
    int added_ = 0;
};

FeatureStatus no_ring(int err) { return unsupported(err, "no throw-away ring"); }

// A throw-away ring, a socketpair and a recv buffer ring of `entries`
// 64-byte buffers: what the multishot recv probes share.
struct RecvRig {
    std::array<std::array<char, 64>, entries> bufs{};
    Fd a, b;
    Ring ring;
    BufRing br{ring};

    // supported() when ready, else why not.
    FeatureStatus init(unsigned flags) {
        if (int err = ring.init(entries, flags)) return no_ring(err);
        if (int err = unix_pair(a, b)) return unsupported(err, "socketpair");
        if (int err = br.init(bgid_recv)) return unsupported(err, "needs a buffer ring");
        for (unsigned short i = 0; i < entries; ++i) br.add(bufs[i].data(), bufs[i].size(), i);
        br.publish();
        return supported();
    }
    io_uring_sqe* multishot_recv() {
        io_uring_sqe* s = ring.sqe();
        io_uring_prep_recv_multishot(s, b.get(), nullptr, 0, 0);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = bgid_recv;
        io_uring_sqe_set_data64(s, 1);
        return s;
    }
};

}  // namespace

FeatureStatus probe_multishot_accept(unsigned flags) {
    Fd listener, c1, c2, a1, a2;
    sockaddr_in addr{};
    Ring ring;
    if (int err = ring.init(entries, flags)) return no_ring(err);
    if (int err = tcp_listener(listener, addr)) return unsupported(err, "no loopback listener");
    io_uring_sqe* s = ring.sqe();
    io_uring_prep_multishot_accept(s, listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    io_uring_sqe_set_data64(s, 1);
    io_uring_submit(ring.get());
    Fd* clients[] = {&c1, &c2};
    Fd* accepted[] = {&a1, &a2};
    for (int i = 0; i < 2; ++i) {
        // A loopback connect completes in the backlog at once.
        clients[i]->reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (clients[i]->get() < 0) return unsupported(errno, "socket");
        if (::connect(clients[i]->get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            return unsupported(errno, "connect");
        Cqe c;
        if (int err = ring.next(c)) return unsupported(err, "no completion for a connection");
        if (c.res < 0) return unsupported(-c.res, "the kernel refused IORING_ACCEPT_MULTISHOT");
        accepted[i]->reset(c.res);
        if (!(c.flags & IORING_CQE_F_MORE)) return unsupported(0, "the request ended after one connection");
    }
    return supported();
}

FeatureStatus probe_buf_ring(unsigned flags) {
    Ring ring;
    if (int err = ring.init(entries, flags)) return no_ring(err);
    BufRing br(ring);
    if (int err = br.init(bgid_recv)) return unsupported(err, "IORING_REGISTER_PBUF_RING refused");
    return supported();
}

FeatureStatus probe_multishot_recv(unsigned flags) {
    RecvRig rig;
    if (auto st = rig.init(flags); !st.supported) return st;
    rig.multishot_recv();
    io_uring_submit(rig.ring.get());
    // Two messages, two completions, one request.
    for (const char* msg : {"one", "two"}) {
        if (::write(rig.a.get(), msg, 3) != 3) return unsupported(errno, "write");
        Cqe c;
        if (int err = rig.ring.next(c)) return unsupported(err, "no completion for a message");
        if (c.res < 0) return unsupported(-c.res, "the kernel refused IORING_RECV_MULTISHOT");
        if (!(c.flags & IORING_CQE_F_BUFFER)) return unsupported(0, "no provided buffer was used");
        if (!(c.flags & IORING_CQE_F_MORE)) return unsupported(0, "the request ended after one message");
    }
    return supported();
}

FeatureStatus probe_recvsend_bundle(unsigned flags) {
    std::array<std::array<char, 4>, entries> bufs{};
    char out[2][2] = {{'a', 'b'}, {'c', 'd'}};
    Fd a, b;
    Ring ring;
    if (int err = ring.init(entries, flags)) return no_ring(err);
    if (int err = unix_pair(a, b)) return unsupported(err, "socketpair");
    BufRing recv_br(ring), send_br(ring);
    if (int err = recv_br.init(bgid_recv)) return unsupported(err, "needs a buffer ring");
    if (int err = send_br.init(bgid_send)) return unsupported(err, "needs a buffer ring");
    for (unsigned short i = 0; i < entries; ++i) recv_br.add(bufs[i].data(), bufs[i].size(), i);
    recv_br.publish();
    send_br.add(out[0], 2, 0);
    send_br.add(out[1], 2, 1);
    send_br.publish();

    // A send bundle takes both provided buffers at once: 4 bytes.
    io_uring_sqe* s = ring.sqe();
    io_uring_prep_send(s, a.get(), nullptr, 0, MSG_NOSIGNAL);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = bgid_send;
    s->ioprio |= compat::recvsend_bundle;
    io_uring_sqe_set_data64(s, 1);
    Cqe c;
    if (int err = ring.next(c)) return unsupported(err, "no completion for a send bundle");
    if (c.res < 0) return unsupported(-c.res, "the kernel refused a send bundle");
    if (c.res != 4) return unsupported(0, "a send bundle moved " + std::to_string(c.res) + " of 4 bytes");

    // A recv bundle fills as many 4-byte buffers as the data needs.
    s = ring.sqe();
    io_uring_prep_recv(s, b.get(), nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = bgid_recv;
    s->ioprio |= compat::recvsend_bundle;
    io_uring_sqe_set_data64(s, 2);
    if (int err = ring.next(c)) return unsupported(err, "no completion for a recv bundle");
    if (c.res < 0) return unsupported(-c.res, "the kernel refused a recv bundle");
    return supported();
}

FeatureStatus probe_multishot_recv_limit(unsigned flags) {
    RecvRig rig;
    if (auto st = rig.init(flags); !st.supported) return st;
    // 100 bytes wait; a budget of 64 must end the request after the first
    // full buffer. A kernel that ignores the budget goes on (F_MORE).
    char msg[100] = {};
    if (::write(rig.a.get(), msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) return unsupported(errno, "write");
    compat::set_recv_byte_limit(rig.multishot_recv(), 64);
    io_uring_submit(rig.ring.get());
    Cqe c;
    if (int err = rig.ring.next(c)) return unsupported(err, "no completion for the first delivery");
    if (c.res < 0) return unsupported(-c.res, "the kernel refused a multishot recv with a byte budget");
    if (c.flags & IORING_CQE_F_MORE) return unsupported(0, "the kernel ignored the byte budget (no optlen support)");
    return supported();
}

}  // namespace ringo::detail::probe
