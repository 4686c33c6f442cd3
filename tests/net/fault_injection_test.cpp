// Faults a hostile or broken peer, or a starved kernel queue, can inject,
// over real loopback sockets on every backend: an empty read-buffer pool
// (ENOBUFS from the io_uring buffer ring, an empty free list elsewhere), a
// completion queue far smaller than the load, a peer that resets the
// connection while we read or write, a write after the peer is gone, a peer
// that never reads, and a peer that sends one byte at a time. Each must end
// in the bytes sent, byte-exact and in order, or in a clear error: never a
// crash, a lost byte, a SIGPIPE, a stalled neighbour or a leaked fd.
#include "harness.hpp"
#include "tcp_support.hpp"

#include <ringo/engine/spawn.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

using namespace std::chrono_literals;
using ringo::Clock;
using ringo::Task;
using ringo::net::SocketAddr;
using ringo::net::TcpListener;
using ringo::net::TcpStream;
using ringo::test::addr_of;
using ringo::test::listen_any;

namespace {

// Every backend, and on io_uring the provided-buffer ring off too (the
// poll-then-recv path, where an empty pool is ringo's free list, not the
// kernel's ENOBUFS).
using ringo::test::describe;
using Variant = ringo::test::ReadVariant;

std::vector<Variant> variants() { return ringo::test::read_variants(); }
ringo::RuntimeOptions options_for(Variant v) { return ringo::test::read_options(v); }

ringo::Stats stats_now() { return ringo::Runtime::current()->stats(); }

// One read, plain or borrowed, appended to out: the bytes it gave, 0 at EOF.
Task<ringo::Result<std::size_t>> read_append(TcpStream& s, std::vector<std::byte>& out, bool borrowed) {
    if (borrowed) {
        auto b = co_await s.read_borrowed();
        if (!b) co_return b.error();
        out.insert(out.end(), b->bytes().begin(), b->bytes().end());
        co_return b->size();
    }
    std::array<std::byte, 4096> buf;
    auto n = co_await s.read(buf);
    if (n) out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    co_return n;
}

// Echoes until EOF; returns the error that ended it, or none at EOF.
// Borrowed, it keeps each buffer for a loop turn before writing it back.
Task<std::error_code> echo_until_eof(TcpStream s, bool borrowed) {
    std::error_code err;
    std::array<std::byte, 16384> own;
    for (;;) {
        std::span<const std::byte> got;
        ringo::Result<ringo::BorrowedBuffer> lent;
        if (borrowed) {
            lent = co_await s.read_borrowed();
            if (!lent) err = lent.error();
            else got = lent->bytes();
            // Hold the buffer across a loop turn, as a consumer that works
            // on it would, so the other connections find the pool empty.
            co_await ringo::yield();
        } else {
            auto n = co_await s.read(own);
            if (!n) err = n.error();
            else got = std::span(own).first(*n);
        }
        if (err || got.empty()) break;
        if (auto w = co_await s.write_all(got); !w) {
            err = w.error();
            break;
        }
    }
    co_await s.close();
    co_return err;
}

// Accepts `count` connections and echoes each in its own task; returns the
// errors the echoes ended with (empty ones at a clean EOF).
Task<std::vector<std::error_code>> echo_server(TcpListener& l, int count, bool borrowed) {
    std::vector<ringo::JoinHandle<std::error_code>> conns;
    for (int i = 0; i < count; ++i) {
        auto c = co_await l.accept();
        REQUIRE(c.has_value());
        conns.push_back(ringo::spawn(echo_until_eof(std::move(*c), borrowed)));
    }
    std::vector<std::error_code> errors;
    for (auto& h : conns) {
        auto e = co_await h;
        errors.push_back(e.has_value() ? *e : e.error());
    }
    co_return errors;
}

// Sends data and reads the echo at the same time (an echo larger than the
// socket buffers deadlocks a client that writes everything first); true
// when exactly data came back.
Task<bool> echo_client(SocketAddr a, std::vector<std::byte> data) {
    auto c = co_await TcpStream::connect(a);
    if (!c) co_return false;
    auto writer = ringo::spawn([](TcpStream& s, const std::vector<std::byte>& d) -> Task<bool> {
        co_return static_cast<bool>(co_await s.write_all(d));
    }(*c, data));
    std::vector<std::byte> back(data.size());
    auto r = co_await c->read_exact(back);
    auto w = co_await writer;
    co_await c->close();
    co_return r.has_value() && w.has_value() && w.value() && back == data;
}

int count_ok(const std::vector<ringo::Result<bool>>& results) {
    return static_cast<int>(
        std::count_if(results.begin(), results.end(), [](const auto& r) { return r && *r; }));
}

Task<std::vector<ringo::Result<bool>>> join_all(std::vector<ringo::JoinHandle<bool>>& hs) {
    std::vector<ringo::Result<bool>> out;
    for (auto& h : hs) out.push_back(co_await h);
    co_return out;
}

void set_int_opt(int fd, int level, int name, int value) {
    REQUIRE(::setsockopt(fd, level, name, &value, sizeof value) == 0);
}

// Closes with RST instead of FIN.
void arm_reset(TcpStream& s) {
    linger lg{1, 0};
    REQUIRE(::setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
}

// Counts SIGPIPEs while it lives, so a send without MSG_NOSIGNAL shows as a
// failed check instead of killing the run.
class SigpipeCounter {
public:
    SigpipeCounter() {
        count_ = 0;
        struct sigaction sa {};
        sa.sa_handler = [](int) { count_ = count_ + 1; };
        sigemptyset(&sa.sa_mask);
        REQUIRE(::sigaction(SIGPIPE, &sa, &old_) == 0);
    }
    ~SigpipeCounter() { ::sigaction(SIGPIPE, &old_, nullptr); }
    SigpipeCounter(const SigpipeCounter&) = delete;
    SigpipeCounter& operator=(const SigpipeCounter&) = delete;
    int count() const noexcept { return count_; }

private:
    static inline volatile std::sig_atomic_t count_ = 0;
    struct sigaction old_ {};
};

// Lets the other tasks run until pred() holds; false if it still does not
// after a second (the caller's check then fails with the state it found).
template <class P>
Task<bool> until(P pred) {
    const auto limit = Clock::now() + 1s;
    while (!pred()) {
        if (Clock::now() > limit) co_return false;
        co_await ringo::yield();
    }
    co_return true;
}

// Bytes written to fd that the kernel has not sent yet (-1 if it cannot
// say): above 0, the peer's window is shut and a write that finds the send
// buffer full must block.
int unsent_bytes(int fd) {
    int n = 0;
    return ::ioctl(fd, SIOCOUTQNSD, &n) == 0 ? n : -1;
}

}  // namespace

// (a) The pool holds two buffers, lent one at a time, and eight
// connections read borrowed at once: on io_uring with the buffer ring the
// kernel finds it empty (ENOBUFS) again and again. That must be
// backpressure: every read waits for a buffer and no byte is lost.
TEST_CASE("with two pool buffers, eight borrowed readers still echo every byte in order",
          "[net][fault][borrowed]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(variants()));
    INFO(describe(v));
    constexpr int conns = 8;
    auto opts = options_for(v);
    opts.read_buffers = {256, 2, 1};
    ringo::Stats end{};
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = listen_any();
            auto server = ringo::spawn(echo_server(l, conns, true));
            std::vector<ringo::JoinHandle<bool>> clients;
            for (int i = 0; i < conns; ++i)
                clients.push_back(
                    ringo::spawn(echo_client(addr_of(l), ringo::test::random_bytes(32 * 1024, 100 + i))));
            auto results = co_await join_all(clients);
            CHECK(count_ok(results) == conns);
            auto errors = co_await server;
            REQUIRE(errors.has_value());
            for (auto& e : *errors) CHECK(e.message() == std::error_code().message());
            end = stats_now();
        },
        opts);
    CHECK(end.buffer_waits > 0);  // the pool really ran dry
    CHECK(end.buffers_circulating == 2);
    CHECK(end.buffers_lent == 0);
}

// (b) A queue depth of 4 gives io_uring an 8-entry completion queue (and
// epoll 4 events a wait) under 64 connections echoing at once, accepts
// included: completions overflow the CQ and must be fetched from the
// kernel's overflow list, never dropped.
TEST_CASE("a tiny completion queue under rounds of 64 echoing connections loses nothing",
          "[net][fault][cq]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(variants()));
    auto borrowed = GENERATE(false, true);
    INFO(describe(v) << (borrowed ? ", borrowed reads" : ", plain reads"));
    constexpr int conns = 64;
    auto opts = options_for(v);
    opts.queue_depth = 4;
    ringo::Stats end{};
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = TcpListener::bind(SocketAddr::v4_loopback(0), {.backlog = 256});
            REQUIRE(l.has_value());
            std::mt19937 rng(4);
            // Rounds, so fd numbers freed by one are reused by the next.
            for (int round = 0; round < 4; ++round) {
                INFO("round " << round);
                auto server = ringo::spawn(echo_server(*l, conns, borrowed));
                std::vector<ringo::JoinHandle<bool>> clients;
                for (int i = 0; i < conns; ++i) {
                    auto size = std::uniform_int_distribution<std::size_t>(1, 48 * 1024)(rng);
                    auto seed = static_cast<std::uint32_t>(1000 * round + i);
                    clients.push_back(
                        ringo::spawn(echo_client(addr_of(*l), ringo::test::random_bytes(size, seed))));
                }
                auto results = co_await join_all(clients);
                CHECK(count_ok(results) == conns);
                auto errors = co_await server;
                REQUIRE(errors.has_value());
                // Each server-side echo ends at the client's EOF, not with an error.
                for (auto& e : *errors) CHECK(e.message() == std::error_code().message());
            }
            end = stats_now();
        },
        opts);
    // Every op submitted was completed: none is stuck behind a lost CQE.
    CHECK(end.total_submitted() == end.total_completed());
}

// (c) The peer resets while our read is parked: the read fails with
// ECONNRESET after every byte that arrived before the reset, byte-exact.
TEST_CASE("a reset from the peer fails a parked read with ECONNRESET after the bytes before it",
          "[net][fault][reset]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(variants()));
    auto borrowed = GENERATE(false, true);
    INFO(describe(v) << (borrowed ? ", borrowed reads" : ", plain reads"));
    const auto payload = ringo::test::random_bytes(64 * 1024, 31);
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            std::vector<std::byte> got;
            auto reader = ringo::spawn(
                [](TcpStream& st, std::vector<std::byte>& out, bool lend) -> Task<std::error_code> {
                    for (;;) {
                        auto n = co_await read_append(st, out, lend);
                        if (!n) co_return n.error();
                        if (*n == 0) co_return std::error_code();
                    }
                }(s, got, borrowed));
            auto w = co_await c.write_all(payload);
            REQUIRE(w);
            // Once every byte is in, the reader is parked in its next read:
            // this task runs only while the reader is suspended.
            auto all_in = co_await until([&] { return got.size() == payload.size(); });
            REQUIRE(all_in);
            arm_reset(c);
            co_await c.close();
            auto err = co_await reader;
            REQUIRE(err.has_value());
            CHECK(err->message() == std::make_error_code(std::errc::connection_reset).message());
            CHECK(got == payload);
            co_await s.close();
        },
        options_for(v));
}

// (c) The peer resets while our write is parked on a full socket: that
// write fails (ECONNRESET, or EPIPE once the reset is known), every later
// one fails with EPIPE, and no SIGPIPE is raised at any point.
TEST_CASE("a reset from the peer fails a blocked write, then EPIPE, and raises no SIGPIPE",
          "[net][fault][reset]") {
    ringo::test::FdLeakCheck fds;
    SigpipeCounter sigpipes;
    auto v = GENERATE(from_range(variants()));
    INFO(describe(v));
    const auto chunk = ringo::test::random_bytes(64 * 1024, 32);
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            set_int_opt(s.native_handle(), SOL_SOCKET, SO_SNDBUF, 8192);
            std::size_t written = 0;
            auto writer = ringo::spawn(
                [](TcpStream& st, const std::vector<std::byte>& d, std::size_t& n) -> Task<std::error_code> {
                    for (;;) {
                        auto r = co_await st.write(d);
                        if (!r) co_return r.error();
                        n += *r;
                    }
                }(s, chunk, written));
            // The peer reads nothing: once its window is shut and our writes
            // have stopped going through, the writer is parked in a write.
            auto full = co_await until([&] { return unsent_bytes(s.native_handle()) > 0; });
            REQUIRE(full);
            std::size_t seen = written;
            int quiet = 0;
            auto stuck = co_await until([&] {
                quiet = std::exchange(seen, written) == written ? quiet + 1 : 0;
                return quiet > 4;
            });
            REQUIRE(stuck);
            REQUIRE(written > 0);
            arm_reset(c);
            co_await c.close();
            auto first = co_await writer;
            REQUIRE(first.has_value());
            INFO("first error: " << first->message());
            CHECK((*first == std::errc::connection_reset || *first == std::errc::broken_pipe));
            auto again = co_await s.write(chunk);
            REQUIRE_FALSE(again.has_value());
            CHECK(again.error().message() == std::make_error_code(std::errc::broken_pipe).message());
            auto all = co_await s.write_all(chunk);
            REQUIRE_FALSE(all.has_value());
            CHECK(all.error().message() == std::make_error_code(std::errc::broken_pipe).message());
            co_await s.close();
        },
        options_for(v));
    CHECK(sigpipes.count() == 0);
}

// (c) The peer reads what it was sent, then closes cleanly (FIN) while we
// go on streaming: its kernel answers our next bytes with RST, so write_all
// fails with EPIPE (or ECONNRESET if the RST is seen first) and every later
// write with EPIPE; never SIGPIPE, never success.
TEST_CASE("writing on after the peer closed mid-stream fails with EPIPE and raises no SIGPIPE",
          "[net][fault][reset]") {
    ringo::test::FdLeakCheck fds;
    SigpipeCounter sigpipes;
    auto v = GENERATE(from_range(variants()));
    INFO(describe(v));
    const auto chunk = ringo::test::random_bytes(256 * 1024, 33);
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            // The peer reads all it was sent (so its close sends FIN, not
            // RST), then goes away.
            auto w = co_await s.write_all(std::span(chunk).first(1024));
            REQUIRE(w);
            std::array<std::byte, 1024> some{};
            auto r = co_await c.read_exact(some);
            REQUIRE(r);
            CHECK(std::memcmp(some.data(), chunk.data(), some.size()) == 0);
            co_await c.close();
            std::error_code err;
            for (int i = 0; i < 100 && !err; ++i)
                if (auto more = co_await s.write_all(chunk); !more) err = more.error();
            INFO("error: " << err.message());
            CHECK((err == std::errc::broken_pipe || err == std::errc::connection_reset));
            auto after = co_await s.write(chunk);
            REQUIRE_FALSE(after.has_value());
            CHECK(after.error().message() == std::make_error_code(std::errc::broken_pipe).message());
            co_await s.close();
        },
        options_for(v));
    CHECK(sigpipes.count() == 0);
}

// (d) One peer never reads. Our writes to it block until the write
// deadline fails them with timed_out, on time; meanwhile another connection
// on the same runtime keeps its 1-byte round trips fast; and the stalled
// stream stays usable: every byte its writes reported went out, once.
TEST_CASE("a peer that never reads blocks our writes until the deadline while another connection echoes",
          "[net][fault][deadline]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(variants()));
    INFO(describe(v));
    const auto data = ringo::test::random_bytes(8 << 20, 34);
    constexpr auto deadline = 150ms;
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = listen_any();
            auto [slow_c, slow_s] = co_await ringo::test::connected_pair(l);
            auto [ping_c, ping_s] = co_await ringo::test::connected_pair(l);
            set_int_opt(slow_c.native_handle(), SOL_SOCKET, SO_RCVBUF, 16384);
            set_int_opt(slow_s.native_handle(), SOL_SOCKET, SO_SNDBUF, 16384);
            auto echo = ringo::spawn(echo_until_eof(std::move(ping_s), false));

            struct Stall {
                std::size_t written = 0;
                std::error_code error;
                Clock::duration took{};
            };
            auto start = Clock::now();
            slow_s.set_write_deadline(start + deadline);
            auto writer = ringo::spawn(
                [](TcpStream& st, const std::vector<std::byte>& d, Clock::time_point t0) -> Task<Stall> {
                    Stall out;
                    while (out.written < d.size()) {
                        auto r = co_await st.write(std::span(d).subspan(out.written));
                        if (!r) {
                            out.error = r.error();
                            break;
                        }
                        out.written += *r;
                    }
                    out.took = Clock::now() - t0;
                    co_return out;
                }(slow_s, data, start));

            bool stalled = true;
            auto pinger = ringo::spawn([](TcpStream& st, bool& go_on) -> Task<std::vector<Clock::duration>> {
                std::vector<Clock::duration> rtts;
                std::array<char, 1> b{'p'};
                while (go_on) {
                    auto t = Clock::now();
                    auto w = co_await st.write(std::string_view("p"));
                    REQUIRE(w);
                    auto r = co_await st.read_exact(b);
                    REQUIRE(r);
                    rtts.push_back(Clock::now() - t);
                }
                co_return rtts;
            }(ping_c, stalled));

            auto stall = co_await writer;
            stalled = false;
            auto rtts = co_await pinger;
            REQUIRE(stall.has_value());
            REQUIRE(rtts.has_value());
            auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
            INFO("written " << stall->written << " bytes, write failed after " << ms(stall->took) << " ms");
            CHECK(stall->error.message() == ringo::make_error_code(ringo::errc::timed_out).message());
            CHECK(stall->took >= deadline);
            CHECK(stall->took < deadline + 500ms);
            REQUIRE(stall->written < data.size());
            std::sort(rtts->begin(), rtts->end());
            INFO(rtts->size() << " round trips, worst " << (rtts->empty() ? 0.0 : ms(rtts->back())) << " ms");
            CHECK(rtts->size() >= 100);
            CHECK((!rtts->empty() && rtts->back() < 50ms));

            // Cleared, the deadline lets the stream carry on: once the peer
            // reads, it gets exactly the bytes the writes reported, then a
            // tail written after the timeout, then EOF.
            slow_s.set_write_deadline({});
            auto drain = ringo::spawn([](TcpStream& st) -> Task<std::vector<std::byte>> {
                std::vector<std::byte> got;
                for (;;) {
                    auto n = co_await read_append(st, got, false);
                    REQUIRE(n.has_value());
                    if (*n == 0) co_return got;
                }
            }(slow_c));
            auto tail = co_await slow_s.write_all(std::string_view("tail"));
            CHECK(tail.has_value());
            co_await slow_s.close();
            auto got = co_await drain;
            REQUIRE(got.has_value());
            std::vector<std::byte> expect(data.begin(),
                                          data.begin() + static_cast<std::ptrdiff_t>(stall->written));
            for (char ch : std::string_view("tail")) expect.push_back(static_cast<std::byte>(ch));
            CHECK(got->size() == expect.size());
            CHECK(*got == expect);
            co_await ping_c.close();
            co_await slow_c.close();
            auto echo_end = co_await echo;
            REQUIRE(echo_end.has_value());
            CHECK(echo_end->message() == std::error_code().message());
        },
        options_for(v));
}

// (e) A peer that sends one byte at a time. In lock step (the next byte
// only once the last has been read) each byte is its own readiness edge
// and its own short read: a backend that lost one edge would park for
// ever. Then 4,000 one-byte writes as fast as they go: the total is exact.
TEST_CASE("a peer that sends one byte at a time has every byte delivered in order", "[net][fault][trickle]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(variants()));
    auto borrowed = GENERATE(false, true);
    INFO(describe(v) << (borrowed ? ", borrowed reads" : ", plain reads"));
    constexpr std::size_t stepped = 400, flat_out = 4000;
    const auto payload = ringo::test::random_bytes(stepped + flat_out, 35);
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            struct Got {
                std::vector<std::byte> bytes;
                std::size_t reads = 0;
            } got;
            auto reader =
                ringo::spawn([](TcpStream& st, Got& out, std::size_t total, bool lend) -> Task<bool> {
                    while (out.bytes.size() < total) {
                        auto n = co_await read_append(st, out.bytes, lend);
                        if (!n || *n == 0) co_return false;
                        ++out.reads;
                    }
                    co_return true;
                }(s, got, payload.size(), borrowed));

            const auto limit = Clock::now() + 5s;
            for (std::size_t i = 0; i < stepped; ++i) {
                auto w = co_await c.write(std::span(payload).subspan(i, 1));
                REQUIRE(w.has_value());
                REQUIRE(*w == 1);
                while (got.bytes.size() <= i) {
                    REQUIRE(Clock::now() < limit);  // a lost edge parks the reader for good
                    co_await ringo::yield();
                }
            }
            CHECK(got.reads == stepped);  // one read per byte: none coalesced, none lost
            for (std::size_t i = stepped; i < payload.size(); ++i) {
                auto w = co_await c.write(std::span(payload).subspan(i, 1));
                REQUIRE(w.has_value());
                REQUIRE(*w == 1);
            }
            auto ok = co_await reader;
            REQUIRE(ok.has_value());
            CHECK(*ok);
            CHECK(got.bytes == payload);
            co_await c.close();
            co_await s.close();
        },
        options_for(v));
}
