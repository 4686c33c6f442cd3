/* uring_echo: the raw liburing echo server ringo-bench holds ringo against.
 *
 * Shape. One ring (SINGLE_ISSUER|DEFER_TASKRUN when the kernel takes it),
 * one multishot accept, and per connection one 16 KiB buffer with exactly
 * one chain in flight:
 *
 *   recv(buf) --CQE n--> send(buf, n, MSG_WAITALL) -IO_LINK-> recv(buf)
 *
 * The send carries CQE_SKIP_SUCCESS: it posts a CQE only when it fails, and
 * then the linked recv completes with -ECANCELED, which is the one CQE the
 * loop acts on. MSG_WAITALL makes the kernel finish a short send itself
 * (linux 5.19 retries partial stream sends), so the buffer is free again
 * exactly when the linked recv starts. One CQE and one SQE pair per echo,
 * one io_uring_submit_and_wait per loop turn: at one connection doing
 * ping-pong that is one kernel entry per message, the floor.
 *
 * user_data: kind in the top 4 bits, the connection's generation in the
 * next 28, the fd in the low 32. A slot reused by a new connection bumps the
 * generation, so a late CQE of the old one is recognised and dropped.
 *
 * Kernel requirements: multishot accept 5.19, DEFER_TASKRUN 6.1 (else
 * COOP_TASKRUN 5.19, else plain), CQE_SKIP_SUCCESS 5.17, registered ring
 * fd 5.18 (optional).
 */
#define _GNU_SOURCE
#include "baseline_common.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum kind { K_ACCEPT = 1, K_RECV = 2, K_IGNORE = 3 };

struct conn {
    uint32_t gen;
    int open;
    unsigned char* buf; /* ECHO_BUF_SIZE, allocated at first use of the slot */
};

static struct io_uring ring;
static struct conn* conns; /* indexed by fd */
static size_t nconns;
static int listen_fd;
static unsigned skip_flag; /* IOSQE_CQE_SKIP_SUCCESS when the kernel has it */

static uint64_t ud(enum kind k, uint32_t gen, int fd) {
    return (uint64_t)k << 60 | (uint64_t)(gen & 0x0fffffffu) << 32 | (uint32_t)fd;
}

static struct io_uring_sqe* sqe_get(void) {
    struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    while (!sqe) {
        /* SQ full: hand the batch over now and retry. */
        ++kernel_entries;
        io_uring_submit(&ring);
        sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
}

static void arm_accept(void) {
    struct io_uring_sqe* sqe = sqe_get();
    io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, ud(K_ACCEPT, 0, 0));
}

static void post_recv(int fd, struct conn* c, unsigned extra_flags) {
    struct io_uring_sqe* sqe = sqe_get();
    io_uring_prep_recv(sqe, fd, c->buf, ECHO_BUF_SIZE, 0);
    sqe->flags |= (uint8_t)extra_flags;
    io_uring_sqe_set_data64(sqe, ud(K_RECV, c->gen, fd));
}

/* send(n) hard-ordered before the next recv into the same buffer. Both SQEs
 * are taken before either is filled: a submit between them (SQ full) would
 * send the linked head alone and link it to whatever came next. */
static void post_echo(int fd, struct conn* c, unsigned n) {
    if (io_uring_sq_space_left(&ring) < 2) {
        ++kernel_entries;
        io_uring_submit(&ring);
    }
    struct io_uring_sqe* s = sqe_get();
    io_uring_prep_send(s, fd, c->buf, n, MSG_WAITALL | MSG_NOSIGNAL);
    s->flags |= (uint8_t)(IOSQE_IO_LINK | skip_flag);
    io_uring_sqe_set_data64(s, ud(K_IGNORE, 0, 0));
    post_recv(fd, c, 0);
}

static void close_conn(int fd, struct conn* c) {
    c->open = 0;
    ++c->gen;
    struct io_uring_sqe* sqe = sqe_get();
    io_uring_prep_close(sqe, fd);
    sqe->flags |= (uint8_t)skip_flag;
    io_uring_sqe_set_data64(sqe, ud(K_IGNORE, 0, 0));
}

static void on_accept(int res, unsigned flags) {
    if (!(flags & IORING_CQE_F_MORE)) arm_accept(); /* the kernel ended the multishot */
    if (res < 0) return;                            /* EMFILE and friends: keep going */
    int fd = res;
    if ((size_t)fd >= nconns) {
        fprintf(stderr, "uring_echo: fd %d beyond the table\n", fd);
        close(fd);
        return;
    }
    struct conn* c = &conns[fd];
    if (!c->buf && !(c->buf = malloc(ECHO_BUF_SIZE))) {
        close(fd);
        return;
    }
    c->open = 1;
    set_nodelay(fd);
    post_recv(fd, c, 0);
}

static void on_cqe(const struct io_uring_cqe* cqe) {
    enum kind k = (enum kind)(cqe->user_data >> 60);
    if (k == K_ACCEPT) {
        on_accept(cqe->res, cqe->flags);
        return;
    }
    if (k != K_RECV) return; /* a failed send (its recv follows) or a close */
    int fd = (int)(uint32_t)cqe->user_data;
    struct conn* c = &conns[fd];
    if (!c->open || (c->gen & 0x0fffffffu) != ((cqe->user_data >> 32) & 0x0fffffffu)) return;
    if (cqe->res > 0) post_echo(fd, c, (unsigned)cqe->res);
    else close_conn(fd, c); /* EOF, reset, or the failed send's cancel */
}

static void setup_ring(void) {
    const unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    const unsigned ladder[] = {base | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                               base | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_CQSIZE};
    int r = -EINVAL;
    for (size_t i = 0; i < sizeof ladder / sizeof ladder[0] && r == -EINVAL; ++i) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        p.flags = ladder[i];
        /* Every open connection keeps one recv in flight: size the CQ for
         * tens of thousands so it never overflows (NODROP would cope, slowly). */
        p.cq_entries = 65536;
        r = io_uring_queue_init_params(4096, &ring, &p);
        if (r == 0) skip_flag = (p.features & IORING_FEAT_CQE_SKIP) ? IOSQE_CQE_SKIP_SUCCESS : 0;
    }
    if (r < 0) {
        fprintf(stderr, "uring_echo: io_uring_queue_init: %s\n", strerror(-r));
        exit(1);
    }
    io_uring_register_ring_fd(&ring); /* optional: saves an fd lookup per enter */
}

int main(int argc, char** argv) {
    struct baseline_opts opts;
    parse_opts(argc, argv, "uring_echo", &opts);
    setup_signals(); /* left unblocked: see baseline_common.h */

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    nconns = rl.rlim_cur;
    conns = calloc(nconns, sizeof *conns);
    if (!conns) return 1;

    setup_ring();
    listen_fd = open_listener(opts.port);
    arm_accept();

    uint64_t turns = 0;
    kernel_entries = 0;
    while (!stop_requested) {
        if (snapshot_requested) {
            snapshot_requested = 0;
            write_counters(&opts, turns);
        }
        ++turns;
        /* liburing enters the kernel unless completions are already waiting
         * and nothing is queued; count the entry the same way. */
        if (io_uring_sq_ready(&ring) > 0 || io_uring_cq_ready(&ring) == 0) ++kernel_entries;
        /* The timeout bounds the wait after a signal that landed between
         * the flag check and the wait (see baseline_common.h). It also keeps
         * liburing 2.3 to one enter per call: without one it enters again
         * when a wait that also submitted was interrupted (the enter returns
         * the submit count, not EINTR). */
        struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
        struct io_uring_cqe* cqe;
        int r = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
        if (r < 0 && r != -EINTR && r != -ETIME && r != -EAGAIN && r != -EBUSY) {
            fprintf(stderr, "uring_echo: wait: %s\n", strerror(-r));
            break;
        }
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            on_cqe(cqe);
            ++seen;
        }
        io_uring_cq_advance(&ring, seen);
    }
    write_counters(&opts, turns);
    io_uring_queue_exit(&ring);
    return 0;
}
