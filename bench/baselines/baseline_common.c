/* Command line, listener, signals and counters of the raw echo servers. */
#define _GNU_SOURCE
#include "baseline_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t kernel_entries;
volatile sig_atomic_t stop_requested;
volatile sig_atomic_t snapshot_requested;

static void usage(const char* name, int rc) {
    fprintf(rc ? stderr : stdout, "usage: %s [--port P] [--stats FILE]\n", name);
    exit(rc);
}

void parse_opts(int argc, char** argv, const char* name, struct baseline_opts* o) {
    o->port = 0;
    o->stats = NULL;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) usage(name, 0);
        if (i + 1 >= argc) usage(name, 2);
        if (strcmp(argv[i], "--port") == 0) {
            char* end;
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 0 || p > 65535) usage(name, 2);
            o->port = (int)p;
        } else if (strcmp(argv[i], "--stats") == 0) {
            o->stats = argv[++i];
        } else {
            usage(name, 2);
        }
    }
}

static void on_signal(int sig) {
    if (sig == SIGUSR1) snapshot_requested = 1;
    else stop_requested = 1;
}

void setup_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the wait must return (EINTR) so the loop sees the flag. */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    /* A closed client must not kill us; sends also pass MSG_NOSIGNAL. */
    signal(SIGPIPE, SIG_IGN);
}

void block_signals(sigset_t* wait_mask) {
    sigset_t ours;
    sigemptyset(&ours);
    sigaddset(&ours, SIGTERM);
    sigaddset(&ours, SIGINT);
    sigaddset(&ours, SIGUSR1);
    sigprocmask(SIG_BLOCK, &ours, wait_mask);
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGINT);
    sigdelset(wait_mask, SIGUSR1);
}

int open_listener(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr*)&a, sizeof a) < 0 || listen(fd, 4096) < 0) {
        perror("bind/listen");
        exit(1);
    }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr*)&a, &len);
    printf("listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

void set_nodelay(int fd) {
    int one = 1;
    ++kernel_entries;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void write_counters(const struct baseline_opts* o, uint64_t loop_turns) {
    /* Not counted: this is the measurement, not the server's work. */
    FILE* f = o->stats ? fopen(o->stats, "a") : stderr;
    if (!f) {
        perror(o->stats);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(f, "kernel_entries %llu loop_turns %llu clock_ns %llu\n", (unsigned long long)kernel_entries,
            (unsigned long long)loop_turns, (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
    if (f != stderr) fclose(f);
    else fflush(f);
}
