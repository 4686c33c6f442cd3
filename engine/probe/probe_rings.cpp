// Behaviours of the ring itself, each proven on a throw-away ring:
//
//   SEND_ZC              a zero-copy send and its notification, linux 6.0
//   registered ring fd   IORING_REGISTER_RING_FDS, then a nop through it, 5.18
//   fixed files          a sparse table (IORING_RSRC_REGISTER_SPARSE), 5.19
//   MSG_RING             one ring posts a completion into another, 5.18
//   NO_IOWAIT            a wait with IORING_ENTER_NO_IOWAIT, 6.15
#include "engine/probe/probe_parts.hpp"

#include "compat/uring/uring_shims.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace ringo::detail::probe {
namespace {

constexpr unsigned entries = 8;

FeatureStatus no_ring(int err) { return unsupported(err, "no throw-away ring"); }

}  // namespace

FeatureStatus probe_send_zc(unsigned flags) {
    char out[] = "zero-copy";
    TcpPair pair;  // AF_UNIX has no zero-copy send: it needs TCP
    Ring ring;
    if (int err = ring.init(entries, flags)) return no_ring(err);
    if (int err = tcp_pair(pair)) return unsupported(err, "no loopback connection");
    io_uring_sqe* s = ring.sqe();
    io_uring_prep_send_zc(s, pair.client.get(), out, sizeof out, MSG_NOSIGNAL, 0);
    io_uring_sqe_set_data64(s, 1);
    Cqe c;
    if (int err = ring.next(c)) return unsupported(err, "no completion");
    if (c.res < 0) return unsupported(-c.res, "the kernel refused IORING_OP_SEND_ZC");
    // The buffer is the kernel's until the notification says otherwise.
    if (c.flags & IORING_CQE_F_MORE) {
        if (int err = ring.next(c)) return unsupported(err, "no notification");
        if (!(c.flags & IORING_CQE_F_NOTIF))
            return unsupported(0, "the second completion is no notification");
    }
    return supported();
}

FeatureStatus probe_registered_ring_fd(unsigned flags) {
    Ring ring;
    if (int err = ring.init(entries, flags)) return no_ring(err);
    int r = io_uring_register_ring_fd(ring.get());
    if (r < 0) return unsupported(-r, "IORING_REGISTER_RING_FDS refused");
    if (r != 1) return unsupported(0, "no ring fd was registered");
    // From here liburing enters through the registered index.
    io_uring_sqe* s = ring.sqe();
    io_uring_prep_nop(s);
    Cqe c;
    if (int err = ring.next(c)) return unsupported(err, "no completion through the registered fd");
    if (c.res < 0) return unsupported(-c.res, "a nop through the registered fd failed");
    return supported();
}

FeatureStatus probe_no_iowait(unsigned flags) {
    Ring ring;
    if (int err = ring.init(entries, flags)) return no_ring(err);
    if (!(ring.features() & compat::feat_no_iowait)) return unsupported(0, "the ring lacks IORING_FEAT_NO_IOWAIT");
    // The wait the engine makes, with the flag: an older kernel refuses
    // the unknown flag with EINVAL.
    io_uring_prep_nop(ring.sqe());
    __kernel_timespec ts{1, 0};
    if (int r = compat::submit_and_wait(ring.get(), &ts, false, compat::enter_no_iowait); r < 0)
        return unsupported(-r, "io_uring_enter refused IORING_ENTER_NO_IOWAIT");
    Cqe c;
    if (int err = ring.next(c)) return unsupported(err, "no completion after the wait");
    if (c.res < 0) return unsupported(-c.res, "the nop failed");
    return supported();
}

FeatureStatus probe_fixed_files(unsigned flags) {
    Ring ring;
    if (int err = ring.init(entries, flags)) return no_ring(err);
    if (int r = io_uring_register_files_sparse(ring.get(), entries); r < 0)
        return unsupported(-r, "a sparse fixed-file table was refused");
    return supported();
}

FeatureStatus probe_msg_ring(unsigned flags) {
    constexpr std::uint64_t token = 0x72696e67;  // "ring"
    Ring from, to;
    if (int err = from.init(entries, flags)) return no_ring(err);
    if (int err = to.init(entries, flags)) return no_ring(err);
    io_uring_sqe* s = from.sqe();
    io_uring_prep_msg_ring(s, to.fd(), 0, token, 0);
    io_uring_sqe_set_data64(s, 1);
    Cqe c;
    if (int err = from.next(c)) return unsupported(err, "no completion on the sending ring");
    if (c.res < 0) return unsupported(-c.res, "the kernel refused IORING_OP_MSG_RING");
    if (int err = to.next(c)) return unsupported(err, "nothing arrived on the target ring");
    if (c.user_data != token) return unsupported(0, "the target ring got the wrong message");
    return supported();
}

}  // namespace ringo::detail::probe
