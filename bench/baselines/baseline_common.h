/* What the two raw echo servers share: the command line, the listening
 * socket, signal handling and the kernel-entry counter with its stats file.
 *
 * Signals. SIGTERM/SIGINT end the server, SIGUSR1 asks for a snapshot of the
 * counters (ringo-bench sends one at the start and one at the end of its
 * measured window). The handlers only set flags that the loop reads at the
 * top of each turn. epoll_echo keeps the signals blocked except inside
 * epoll_pwait, which unblocks them atomically, so none can slip in between
 * the check and the wait. io_uring cannot do the same: io_uring_enter
 * installs its sigmask only once it is about to sleep, so under load a
 * blocked signal would wait for the first idle moment (a snapshot taken a
 * second late). uring_echo leaves them unblocked and bounds its wait with a
 * timeout instead, so a signal that lands just before the wait is seen
 * within that timeout; under load the next completion comes sooner.
 */
#ifndef RINGO_BENCH_BASELINE_COMMON_H
#define RINGO_BENCH_BASELINE_COMMON_H

#include <signal.h>
#include <stdint.h>

/* The buffer each connection owns, the same size in every server ringo-bench
 * compares (ringo's echo server reads into 16 KiB too). */
#define ECHO_BUF_SIZE 16384

struct baseline_opts {
    int port;          /* 0: any free port */
    const char* stats; /* file for the counter lines; NULL: stderr at exit */
};

/* Every syscall the loop makes after setup adds one. */
extern uint64_t kernel_entries;
/* Set by the signal handler, read and cleared by the loop. */
extern volatile sig_atomic_t stop_requested;
extern volatile sig_atomic_t snapshot_requested;

/* Parses --port P and --stats FILE; prints usage and exits on anything else. */
void parse_opts(int argc, char** argv, const char* name, struct baseline_opts* o);
/* Installs the handlers (and ignores SIGPIPE). */
void setup_signals(void);
/* Blocks our signals and fills `wait_mask` with the mask to wait under
 * (everything the caller had, minus ours). */
void block_signals(sigset_t* wait_mask);
/* A non-blocking, close-on-exec listener on 127.0.0.1:port with a deep
 * backlog; prints "listening on 127.0.0.1:PORT" and flushes. Exits on error. */
int open_listener(int port);
/* TCP_NODELAY on an accepted socket, as ringo sets it by default (counted). */
void set_nodelay(int fd);
/* Appends "kernel_entries N loop_turns M" to the stats file (or stderr). */
void write_counters(const struct baseline_opts* o, uint64_t loop_turns);

#endif
