// Round trips of the ops the engine needs, on a ring set up exactly like the
// engine's: nop; accept and connect over loopback; send and recv on that
// connection; cancel of a recv that waits; close the engine's way (cancel
// by fd, hard-linked before the close). A ring that sets up is not proof
// that ops run (gVisor, LSM policies), so the verdict rests on these.
//
// Each step runs only when the steps before it passed. Buffers and fds are
// declared before the ring, so the ring (and anything still in flight on
// it) is gone before they are.
#include "engine/probe/probe_parts.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ringo::detail::probe {
namespace {

enum Ud : std::uint64_t {
    ud_nop = 1,
    ud_accept,
    ud_connect,
    ud_send,
    ud_recv,
    ud_waiting,
    ud_cancel,
    ud_cancel_fd,
    ud_close
};

// Takes completions until one for each of want[0..n) has come; results go
// to res[i] (-ETIME for one that never came). Returns an errno of the wait.
int collect(Ring& ring, const std::uint64_t* want, int* res, int n) {
    for (int i = 0; i < n; ++i) res[i] = -ETIME;
    for (int seen = 0; seen < n;) {
        Cqe c;
        if (int err = ring.next(c)) return err;
        for (int i = 0; i < n; ++i) {
            if (c.user_data == want[i]) {
                res[i] = c.res;
                ++seen;
            }
        }
    }
    return 0;
}

// The errno a step failed with: that of the wait when its completion never
// came, its own, or EIO when it succeeded with the wrong count.
int outcome(int wait_err, int res, int expect = -1) {
    if (res == -ETIME) return wait_err ? wait_err : ETIME;
    if (res < 0) return -res;
    return expect >= 0 && res != expect ? EIO : 0;
}

}  // namespace

std::vector<RoundTrip> probe_round_trips(unsigned flags) {
    std::vector<RoundTrip> trips{{"nop"}, {"accept"}, {"connect"}, {"send"}, {"recv"}, {"cancel"}, {"close"}};
    Fd listener, client, accepted;
    sockaddr_in addr{}, peer{};
    socklen_t peer_len = sizeof peer;
    char out[] = "ringo";
    char in[16] = {};
    char idle[16] = {};
    Ring ring;

    std::size_t next = 0;
    // Records the step's result; false stops the run.
    auto step = [&](int err) {
        trips[next].ran = true;
        trips[next].error = err;
        ++next;
        return err == 0;
    };

    if (int err = ring.init(8, flags)) {
        step(err);  // the nop never had a ring
        return trips;
    }
    {
        io_uring_sqe* s = ring.sqe();
        io_uring_prep_nop(s);
        io_uring_sqe_set_data64(s, ud_nop);
        const std::uint64_t want[] = {ud_nop};
        int res[1];
        int err = collect(ring, want, res, 1);
        if (!step(outcome(err, res[0]))) return trips;
    }

    // No loopback (a network namespace with lo down) fails accept here:
    // TCP could not work for the engine either.
    int sock_err = tcp_listener(listener, addr);
    if (sock_err == 0) {
        client.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (client.get() < 0) sock_err = errno;
    }
    if (sock_err != 0) {
        step(sock_err);
        return trips;
    }
    {
        io_uring_sqe* s = ring.sqe();
        io_uring_prep_accept(s, listener.get(), reinterpret_cast<sockaddr*>(&peer), &peer_len,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
        io_uring_sqe_set_data64(s, ud_accept);
        s = ring.sqe();
        io_uring_prep_connect(s, client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        io_uring_sqe_set_data64(s, ud_connect);
        const std::uint64_t want[] = {ud_accept, ud_connect};
        int res[2];
        int err = collect(ring, want, res, 2);
        if (res[0] >= 0) accepted.reset(res[0]);
        if (!step(outcome(err, res[0]))) return trips;
        if (!step(outcome(err, res[1]))) return trips;
    }
    {
        io_uring_sqe* s = ring.sqe();
        io_uring_prep_send(s, client.get(), out, 5, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(s, ud_send);
        s = ring.sqe();
        io_uring_prep_recv(s, accepted.get(), in, sizeof in, 0);
        io_uring_sqe_set_data64(s, ud_recv);
        const std::uint64_t want[] = {ud_send, ud_recv};
        int res[2];
        int err = collect(ring, want, res, 2);
        if (!step(outcome(err, res[0], 5))) return trips;
        // Five bytes over loopback arrive together; anything else is wrong.
        int recv_err = outcome(err, res[1], 5);
        if (recv_err == 0 && std::memcmp(in, out, 5) != 0) recv_err = EIO;
        if (!step(recv_err)) return trips;
    }
    {
        // Nothing will arrive for this recv: only the cancel can end it.
        io_uring_sqe* s = ring.sqe();
        io_uring_prep_recv(s, client.get(), idle, sizeof idle, 0);
        io_uring_sqe_set_data64(s, ud_waiting);
        s = ring.sqe();
        io_uring_prep_cancel64(s, ud_waiting, 0);
        io_uring_sqe_set_data64(s, ud_cancel);
        const std::uint64_t want[] = {ud_waiting, ud_cancel};
        int res[2];
        int err = collect(ring, want, res, 2);
        // The recv must end cancelled, and the cancel must have found it.
        int cancel_err = res[0] == -ECANCELED ? outcome(err, res[1])
                         : res[0] >= 0        ? EIO
                                              : outcome(err, res[0]);
        if (!step(cancel_err)) return trips;
    }
    {
        io_uring_sqe* s = ring.sqe();
        io_uring_prep_cancel_fd(s, accepted.get(), IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(s, ud_cancel_fd);
        s->flags |= IOSQE_IO_HARDLINK;
        s = ring.sqe();
        io_uring_prep_close(s, accepted.get());
        io_uring_sqe_set_data64(s, ud_close);
        const std::uint64_t want[] = {ud_cancel_fd, ud_close};
        int res[2];
        int err = collect(ring, want, res, 2);
        // Closed by the kernel, or its fate unknown: either way never close
        // the number again, it may already name another file.
        if (res[1] >= 0 || res[1] == -ETIME) accepted.release();
        step(outcome(err, res[1]));
    }
    return trips;
}

}  // namespace ringo::detail::probe
