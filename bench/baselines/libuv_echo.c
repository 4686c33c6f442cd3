/* libuv_echo: the echo server a libuv user writes, for ringo-bench to hold
 * ringo against (optional: built when Debian's libuv1-dev is installed).
 *
 * Shape. One uv_tcp_t per connection with its own 16 KiB buffer (what
 * alloc_cb hands out). On read: uv_try_write the chunk straight back; what
 * the socket did not take goes out with uv_write, and reading stops until it
 * is done, so the buffer is never overwritten under a pending write. One
 * uv_run(UV_RUN_DEFAULT) loop. Signals come in through uv_signal_t:
 * SIGUSR1 appends a counter line (loop turns, from uv_prepare_t; libuv
 * gives no count of its syscalls, so kernel_entries is absent and
 * ringo-bench shows n/a), SIGTERM and SIGINT end the loop.
 */
#define _GNU_SOURCE
#include "baseline_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct conn {
    uv_tcp_t tcp;
    uv_write_t write;
    char buf[ECHO_BUF_SIZE];
};

static struct baseline_opts opts;
static uint64_t loop_turns;
static uv_loop_t* loop;

static void write_stats(void) {
    FILE* f = opts.stats ? fopen(opts.stats, "a") : stderr;
    if (!f) return;
    fprintf(f, "loop_turns %llu\n", (unsigned long long)loop_turns);
    if (f != stderr) fclose(f);
}

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* out) {
    (void)suggested;
    struct conn* c = h->data;
    *out = uv_buf_init(c->buf, sizeof c->buf);
}

static void on_close(uv_handle_t* h) { free(h->data); }

static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);

static void on_written(uv_write_t* w, int status) {
    struct conn* c = w->data;
    if (status < 0) {
        uv_close((uv_handle_t*)&c->tcp, on_close);
        return;
    }
    uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
}

static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    struct conn* c = s->data;
    if (n < 0) {
        uv_close((uv_handle_t*)s, on_close);
        return;
    }
    if (n == 0) return;
    uv_buf_t out = uv_buf_init(buf->base, (unsigned)n);
    int w = uv_try_write(s, &out, 1);
    if (w == n) return;
    if (w < 0 && w != UV_EAGAIN) {
        uv_close((uv_handle_t*)s, on_close);
        return;
    }
    if (w > 0) out = uv_buf_init(buf->base + w, (unsigned)(n - w));
    uv_read_stop(s);
    c->write.data = c;
    if (uv_write(&c->write, s, &out, 1, on_written) != 0) uv_close((uv_handle_t*)s, on_close);
}

static void on_connection(uv_stream_t* server, int status) {
    if (status < 0) return;
    struct conn* c = malloc(sizeof *c);
    if (!c) return;
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t*)&c->tcp) != 0) {
        uv_close((uv_handle_t*)&c->tcp, on_close);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);  /* as ringo and the raw servers */
    uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
}

static void on_signal(uv_signal_t* h, int signum) {
    if (signum == SIGUSR1) {
        write_stats();
        return;
    }
    (void)h;
    uv_stop(loop);
}

static void on_prepare(uv_prepare_t* h) {
    (void)h;
    ++loop_turns;
}

int main(int argc, char** argv) {
    parse_opts(argc, argv, "libuv-echo", &opts);
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    uv_signal_t usr1, term, intr;
    uv_signal_init(loop, &usr1);
    uv_signal_init(loop, &term);
    uv_signal_init(loop, &intr);
    uv_signal_start(&usr1, on_signal, SIGUSR1);
    uv_signal_start(&term, on_signal, SIGTERM);
    uv_signal_start(&intr, on_signal, SIGINT);
    uv_prepare_t prep;
    uv_prepare_init(loop, &prep);
    uv_prepare_start(&prep, on_prepare);
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    if (uv_tcp_open(&server, open_listener(opts.port)) != 0 ||
        uv_listen((uv_stream_t*)&server, 4096, on_connection) != 0) {
        fprintf(stderr, "libuv-echo: cannot listen\n");
        return 1;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    write_stats();
    return 0;
}
