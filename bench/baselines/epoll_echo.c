/* epoll_echo: the raw epoll echo server ringo-bench holds ringo's epoll
 * backend against.
 *
 * Shape. Each socket is registered once, edge-triggered, for both
 * directions (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET): no epoll_ctl per wait.
 * On an event: first flush what an earlier write left behind, then read
 * until EAGAIN, writing each chunk straight back. A write that cannot finish
 * keeps the rest in the connection's 16 KiB buffer and stops reading; the
 * next EPOLLOUT edge flushes it and resumes the reads (the EPOLLIN edge has
 * passed by then, so reading goes on until EAGAIN, as the edge rule needs).
 * One epoll_pwait per loop turn, up to 1024 events.
 */
#define _GNU_SOURCE
#include "baseline_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    int open;
    unsigned off, len;  /* unsent bytes in buf: [off, off + len) */
    unsigned char* buf; /* ECHO_BUF_SIZE, allocated at first use of the slot */
};

static struct conn* conns; /* indexed by fd */
static size_t nconns;
static int epfd, listen_fd;

static void close_conn(int fd, struct conn* c) {
    c->open = 0;
    c->len = 0;
    ++kernel_entries;
    close(fd); /* also leaves the epoll set: the fd is never dup'ed */
}

/* Writes [off, off + len); 1 when all of it went, 0 when the socket is full
 * (the rest stays), -1 on error. */
static int flush(int fd, struct conn* c) {
    while (c->len > 0) {
        ++kernel_entries;
        ssize_t w = send(fd, c->buf + c->off, c->len, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN ? 0 : -1;
        }
        c->off += (unsigned)w;
        c->len -= (unsigned)w;
    }
    return 1;
}

static void on_conn(int fd) {
    struct conn* c = &conns[fd];
    if (!c->open) return;
    int f = flush(fd, c);
    if (f <= 0) {
        if (f < 0) close_conn(fd, c);
        return;
    }
    for (;;) {
        ++kernel_entries;
        ssize_t n = recv(fd, c->buf, ECHO_BUF_SIZE, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close_conn(fd, c);
            return;
        }
        c->off = 0;
        c->len = (unsigned)n;
        f = flush(fd, c);
        if (f <= 0) {
            if (f < 0) close_conn(fd, c);
            return; /* full: wait for the EPOLLOUT edge */
        }
    }
}

static void on_listener(void) {
    for (;;) {
        ++kernel_entries;
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return; /* EAGAIN, or EMFILE and friends: wait for the next edge */
        }
        if ((size_t)fd >= nconns) {
            fprintf(stderr, "epoll_echo: fd %d beyond the table\n", fd);
            close(fd);
            continue;
        }
        struct conn* c = &conns[fd];
        if (!c->buf && !(c->buf = malloc(ECHO_BUF_SIZE))) {
            close(fd);
            continue;
        }
        c->open = 1;
        c->off = c->len = 0;
        set_nodelay(fd);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u64 = (uint64_t)fd};
        ++kernel_entries;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) close_conn(fd, c);
    }
}

int main(int argc, char** argv) {
    struct baseline_opts opts;
    parse_opts(argc, argv, "epoll_echo", &opts);
    sigset_t wait_mask;
    setup_signals();
    block_signals(&wait_mask);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    nconns = rl.rlim_cur;
    conns = calloc(nconns, sizeof *conns);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || epfd < 0) return 1;

    listen_fd = open_listener(opts.port);
    struct epoll_event lev = {.events = EPOLLIN | EPOLLET, .data.u64 = (uint64_t)listen_fd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &lev);

    static struct epoll_event events[1024];
    uint64_t turns = 0;
    kernel_entries = 0;
    while (!stop_requested) {
        if (snapshot_requested) {
            snapshot_requested = 0;
            write_counters(&opts, turns);
        }
        ++turns;
        ++kernel_entries;
        int n = epoll_pwait(epfd, events, 1024, -1, &wait_mask);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_echo: epoll_pwait");
            break;
        }
        for (int i = 0; i < n; ++i) {
            int fd = (int)events[i].data.u64;
            if (fd == listen_fd) on_listener();
            else on_conn(fd);
        }
    }
    write_counters(&opts, turns);
    return 0;
}
