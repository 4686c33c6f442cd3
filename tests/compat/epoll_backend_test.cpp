// The readiness protocol of the epoll backend, checked through the public
// API on real sockets and files, on every backend (io_uring must keep the
// same promises): echo, data then EOF, a full socket buffer, FIFO order of
// two waiters, close and cancel of a parked op, deadlines, the lost-edge
// race, regular files through the blocking pool, bad fds, and that idle
// fds cost the loop nothing. No test waits on a sleep; none leaks an fd.
#include "fd_support.hpp"
#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/runtime.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using ringo::Task;
namespace io = ringo::io;

namespace {

using ringo::test::bytes_of;
using ringo::test::close_all;
using ringo::test::close_each;
using ringo::test::is_canceled;
using ringo::test::is_timed_out;
using ringo::test::Pair;
using ringo::test::recv_one;
using ringo::test::recv_to_eof;
using ringo::test::run_on;
using ringo::test::send_all;
using ringo::test::socket_pair;
using ringo::test::tcp_listener;
using ringo::test::tcp_socket;
using ringo::test::text_of;

// Every coroutine here awaits first and asserts on the value after
// (fd_support.hpp says why).

// Raises the soft fd limit to want; fails the test if the hard limit is lower.
void ensure_fd_limit(rlim_t want) {
    rlimit rl{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur >= want) return;
    REQUIRE(rl.rlim_max >= want);
    rl.rlim_cur = want;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

}  // namespace

TEST_CASE("a socketpair echoes every byte back", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(1 << 20, 1);
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto echo = ringo::spawn([](int fd) -> Task<> {
            std::byte buf[8192];
            for (;;) {
                auto n = co_await io::recv(fd, buf);
                REQUIRE(n.has_value());
                if (*n == 0) break;
                auto sent = co_await send_all(fd, std::span(buf, *n));
                REQUIRE(sent.has_value());
            }
            auto shut = co_await io::shutdown(fd, SHUT_WR);
            REQUIRE(shut.has_value());
        }(p.b));
        auto writer = ringo::spawn([](int fd, std::span<const std::byte> d) -> Task<> {
            auto sent = co_await send_all(fd, d);
            REQUIRE(sent.has_value());
            auto shut = co_await io::shutdown(fd, SHUT_WR);
            REQUIRE(shut.has_value());
        }(p.a, data));
        auto got = co_await recv_to_eof(p.a);
        REQUIRE(got.has_value());
        CHECK(got->size() == data.size());
        CHECK((*got == data));
        auto writer_done = co_await writer;
        CHECK(writer_done.has_value());
        auto echo_done = co_await echo;
        CHECK(echo_done.has_value());
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("a TCP peer that sends and closes at once gives the data, then EOF", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        sockaddr_in addr{};
        int listener = tcp_listener(addr);
        auto server = ringo::spawn([](int lfd) -> Task<> {
            auto acc = io::accept(lfd);
            auto fd = co_await acc;
            REQUIRE(fd.has_value());
            auto& peer = reinterpret_cast<const sockaddr_in&>(acc.peer());
            CHECK(peer.sin_family == AF_INET);
            CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
            auto sent = co_await send_all(*fd, bytes_of("hello, then nothing"));
            CHECK(sent.has_value());
            auto closed = co_await io::close(*fd);
            CHECK(closed.has_value());
        }(listener));
        int client = tcp_socket();
        auto c = co_await io::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        REQUIRE(c.has_value());
        auto got = co_await recv_to_eof(client);
        REQUIRE(got.has_value());
        CHECK(text_of(*got) == "hello, then nothing");
        // EOF stays EOF.
        auto again = co_await recv_one(client);
        REQUIRE(again.has_value());
        CHECK(*again == 0);
        auto joined = co_await server;
        CHECK(joined.has_value());
        co_await close_all(client, listener);
    });
}

TEST_CASE("connect to a port nobody listens on reports connection refused", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        sockaddr_in addr{};
        int listener = tcp_listener(addr);
        co_await close_all(listener);  // the port is now free, and nobody listens on it
        int client = tcp_socket();
        auto c = co_await io::connect(client, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.error() == std::error_code(ECONNREFUSED, std::system_category()));
        co_await close_all(client);
    });
}

TEST_CASE("a send that fills the socket buffer parks until the peer drains it", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(4 << 20, 2);
    run_on(backend, [&](ringo::Runtime& rt) -> Task<> {
        Pair p = socket_pair();
        std::span<const std::byte> rest(data);
        auto first = co_await io::send(p.a, rest);
        REQUIRE(first.has_value());
        CHECK(*first > 0);
        CHECK(*first < rest.size());  // short: the buffer is full now
        rest = rest.subspan(*first);

        // The reader starts on the next turn; until then the send cannot
        // move a byte, so it must park and the loop must turn.
        auto reader = ringo::spawn(recv_to_eof(p.b));
        auto turns = rt.stats().loop_turns;
        auto sent = co_await send_all(p.a, rest);
        REQUIRE(sent.has_value());
        CHECK(rt.stats().loop_turns > turns);
        auto shut = co_await io::shutdown(p.a, SHUT_WR);
        REQUIRE(shut.has_value());

        auto got = co_await reader;
        REQUIRE(got.has_value());
        REQUIRE(got->has_value());
        CHECK((*got)->size() == data.size());
        CHECK((**got == data));
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("a send parked on a full buffer fails with EPIPE when the peer closes", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    auto data = ringo::test::random_bytes(4 << 20, 5);
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto sender = ringo::spawn(send_all(p.a, data));  // fills the buffer, then parks
        co_await ringo::yield();
        CHECK_FALSE(sender.done());
        co_await close_all(p.b);
        auto r = co_await sender;
        REQUIRE(r.has_value());
        REQUIRE_FALSE(r->has_value());
        CHECK(r->error() == std::error_code(EPIPE, std::system_category()));
        co_await close_all(p.a);
    });
}

// epoll serves a direction's parked ops in the order they parked. io_uring
// makes no such promise for two reads of one socket (its poll wake-ups run
// newest first), and neither does ringo: like Go, which lets one reader at a
// time in, it expects one reader per stream. There the test checks that
// each read got exactly one of the bytes.
TEST_CASE("two recvs parked on one fd are served in the order they parked", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto first = ringo::spawn([](int fd) -> Task<char> {
            char c = 0;
            auto n = co_await io::recv(fd, std::as_writable_bytes(std::span(&c, 1)));
            REQUIRE(n.has_value());
            co_return c;
        }(p.a));
        auto second = ringo::spawn([](int fd) -> Task<char> {
            char c = 0;
            auto n = co_await io::recv(fd, std::as_writable_bytes(std::span(&c, 1)));
            REQUIRE(n.has_value());
            co_return c;
        }(p.a));
        co_await ringo::yield();  // both are parked now, in spawn order
        auto sent = co_await send_all(p.b, bytes_of("xy"));
        REQUIRE(sent.has_value());
        auto x = co_await first;
        auto y = co_await second;
        REQUIRE(x.has_value());
        REQUIRE(y.has_value());
        if (ringo::Runtime::current()->backend() == ringo::Backend::epoll) {
            CHECK(*x == 'x');
            CHECK(*y == 'y');
        } else {
            const bool one_each = (*x == 'x' && *y == 'y') || (*x == 'y' && *y == 'x');
            CHECK(one_each);
        }
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("closing an fd wakes a recv parked on it with operation_canceled", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto waiter = ringo::spawn(recv_one(p.a));
        co_await ringo::yield();  // its recv is parked
        CHECK_FALSE(waiter.done());
        auto closed = co_await io::close(p.a);
        CHECK(closed.has_value());
        auto r = co_await waiter;
        REQUIRE(r.has_value());
        REQUIRE_FALSE(r->has_value());
        CHECK(is_canceled(r->error()));
        co_await close_all(p.b);
    });
}

TEST_CASE("cancelling a task wakes its parked recv, and the socket still works", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto waiter = ringo::spawn(recv_one(p.a));
        co_await ringo::yield();
        CHECK_FALSE(waiter.done());
        waiter.cancel();
        auto r = co_await waiter;
        REQUIRE(r.has_value());  // the task ended normally, its recv did not
        REQUIRE_FALSE(r->has_value());
        CHECK(is_canceled(r->error()));

        auto sent = co_await send_all(p.b, bytes_of("z"));
        REQUIRE(sent.has_value());
        char c = 0;
        auto n = co_await io::recv(p.a, std::as_writable_bytes(std::span(&c, 1)));
        REQUIRE(n.has_value());
        CHECK(*n == 1);
        CHECK(c == 'z');
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("with_timeout on a recv gives timed_out and leaves the socket usable", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        char c = 0;
        auto buf = std::as_writable_bytes(std::span(&c, 1));
        auto r = co_await ringo::with_timeout(20ms, io::recv(p.a, buf));
        REQUIRE_FALSE(r.has_value());
        CHECK(is_timed_out(r.error()));

        auto sent = co_await send_all(p.b, bytes_of("k"));
        REQUIRE(sent.has_value());
        auto again = co_await ringo::with_timeout(10s, io::recv(p.a, buf));
        REQUIRE(again.has_value());
        CHECK(*again == 1);
        CHECK(c == 'k');
        co_await close_all(p.a, p.b);
    });
}

namespace {

// A thread that sends one byte per round on its own, exactly when the loop
// announces it is about to recv: the byte lands anywhere between the recv's
// EAGAIN and its parking (or before, or after). `fds` holds the fd to write
// to in each round. Two waits move the landing point around: the writer's
// spin before it sends, and the loop's lead() before it recvs, which waits
// for the byte to be sent for a time that varies by round: from not at all,
// when the byte mostly lands after the recv has parked, to until it is
// there, so that the recv's first try finds it.
class RacingWriter {
public:
    // Every 8th round, from the 4th, the loop sends the byte itself once the
    // recv has parked, so the parking path runs however the threads are
    // scheduled (a slow loop, under ASan, can otherwise lose every race).
    static bool loop_sends(int round) noexcept { return round % 8 == 4; }

    RacingWriter(int rounds, const std::vector<int>& fds) : fds_(fds), thread_([this, rounds] { run(rounds); }) {}
    ~RacingWriter() {
        quit_.store(true, std::memory_order_relaxed);
        thread_.join();
    }
    void go(int round) noexcept { round_.store(round, std::memory_order_release); }

    // The loop's wait before round's recv. Every 8th round waits until the
    // byte was sent (the writer sends it whatever the loop does); the others
    // spin a few thousand turns at most.
    void lead(int round) const noexcept {
        if (round % 8 == 0) {
            for (int s = sent_.load(std::memory_order_acquire); s < round; s = sent_.load(std::memory_order_acquire))
                sent_.wait(s, std::memory_order_acquire);
            return;
        }
        for (int i = (round * 53) % 4096; i > 0 && sent_.load(std::memory_order_acquire) < round; --i) {
        }
    }

private:
    void run(int rounds) noexcept {
        for (int i = 1; i <= rounds; ++i) {
            while (round_.load(std::memory_order_acquire) < i)
                if (quit_.load(std::memory_order_relaxed)) return;
            for (int spin = (i * 37) % 256; spin > 0; --spin) std::atomic_signal_fence(std::memory_order_seq_cst);
            char c = static_cast<char>(i);
            int fd = fds_[static_cast<std::size_t>(i - 1)];
            while (!loop_sends(i) && ::send(fd, &c, 1, MSG_NOSIGNAL) != 1)
                if (quit_.load(std::memory_order_relaxed)) return;
            sent_.store(i, std::memory_order_release);
            sent_.notify_one();
        }
    }

    const std::vector<int>& fds_;
    std::atomic<int> round_{0};
    std::atomic<int> sent_{0};
    std::atomic<bool> quit_{false};
    std::thread thread_;
};

// Where each round's byte landed, and how its recv completed: inline (the
// byte was there at the first try) or parked (EAGAIN, then an edge).
struct RaceTally {
    std::string landed;  // the bytes each round's recv got, in round order
    std::vector<std::size_t> counts;  // how many each round's recv got
    int inline_recvs = 0;
    int parked_recvs = 0;

    // One round: a recv on fd, told apart by Stats::ops_inline (the
    // deadline's timer never counts there: it neither starts done nor ends
    // inline). A two-byte buffer, so a stray extra byte would show.
    Task<void> recv_round(ringo::Runtime& rt, int fd) {
        char buf[2] = {};
        const auto inline_before = rt.stats().ops_inline;
        auto n = co_await ringo::with_timeout(10s, io::recv(fd, std::as_writable_bytes(std::span(buf))));
        REQUIRE(n.has_value());  // timed_out here: an edge was lost
        if (rt.stats().ops_inline != inline_before) ++inline_recvs;
        else ++parked_recvs;
        counts.push_back(*n);
        landed.append(buf, *n);
    }

    // One round: raced by the writer thread, or (RacingWriter::loop_sends)
    // with the byte sent from here once the recv is parked.
    Task<void> round(ringo::Runtime& rt, RacingWriter& writer, int i, int fd, int peer) {
        writer.go(i);
        if (!RacingWriter::loop_sends(i)) {
            writer.lead(i);
            co_await recv_round(rt, fd);
            co_return;
        }
        auto reader = ringo::spawn(recv_round(rt, fd));
        co_await ringo::yield();  // the recv found nothing and parked
        const char c = static_cast<char>(i);
        REQUIRE(::send(peer, &c, 1, MSG_NOSIGNAL) == 1);
        (void)co_await reader;
    }

    // Every round got exactly its own byte, and both ways of completing
    // happened, so the race really ran through the parking path. io_uring
    // tries a recv in place only after a completion said the socket held
    // more (never here: each byte is read whole), so its recvs all go to
    // the kernel, which parks them; inline ones are epoll's.
    void check(int rounds, ringo::Backend backend) const {
        std::string expected;
        for (int i = 1; i <= rounds; ++i) expected.push_back(static_cast<char>(i));
        CHECK(counts == std::vector<std::size_t>(static_cast<std::size_t>(rounds), 1));
        CHECK(landed == expected);
        INFO(inline_recvs << " recvs completed inline, " << parked_recvs << " parked");
        CHECK(inline_recvs + parked_recvs == rounds);
        CHECK(parked_recvs > 0);
        if (backend == ringo::Backend::epoll) CHECK(inline_recvs > 0);
    }
};

// Nothing beyond the rounds' bytes reached fd.
void check_nothing_left(int fd) {
    char c = 0;
    const auto n = ::recv(fd, &c, 1, MSG_DONTWAIT);
    const int err = errno;
    CHECK(n == -1);
    CHECK(err == EAGAIN);
}

}  // namespace

// Why no edge can be lost in the window between a recv's EAGAIN and its
// parking, though the writer thread may send right inside it: the loop is
// one thread, and it alone takes events out of epoll, with epoll_wait in the
// poll step of a later turn, after start() has returned with the op parked.
// A byte that lands in the window raises an edge that epoll queues on its
// ready list (the fd is registered) and that wait reports, and finds the op
// in its queue. A fd not registered yet is added (EPOLL_CTL_ADD) after the
// EAGAIN and before the op parks; the ADD checks the file's readiness at
// that moment and queues an event if the byte is already there. (The
// readiness tick in attempt() guards the same window by construction, should
// events ever be taken on another thread.) io_uring arms its poll the same
// way, checking readiness as it arms. The test provokes the window many
// times and checks that every byte arrives, where it should.
TEST_CASE("no readiness edge is lost between a recv's EAGAIN and its parking", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;

    SECTION("2000 rounds on one socketpair") {
        constexpr int rounds = 2000;
        Pair p = socket_pair();
        std::vector<int> fds(rounds, p.b);
        RaceTally tally;
        {
            RacingWriter writer(rounds, fds);
            run_on(backend, [&](ringo::Runtime& rt) -> Task<> {
                for (int i = 1; i <= rounds; ++i) {
                    co_await tally.round(rt, writer, i, p.a, p.b);
                }
                check_nothing_left(p.a);
                co_await close_all(p.a);
            });
        }
        tally.check(rounds, backend);
        ::close(p.b);  // the writer thread used it; the runtime is gone
    }

    SECTION("500 rounds, each on a fresh socketpair: registration races the byte") {
        constexpr int rounds = 500;
        std::vector<Pair> pairs;
        std::vector<int> fds;
        for (int i = 0; i < rounds; ++i) {
            pairs.push_back(socket_pair());
            fds.push_back(pairs.back().b);
        }
        RaceTally tally;
        {
            RacingWriter writer(rounds, fds);
            run_on(backend, [&](ringo::Runtime& rt) -> Task<> {
                for (int i = 1; i <= rounds; ++i) {
                    int fd = pairs[static_cast<std::size_t>(i - 1)].a;
                    co_await tally.round(rt, writer, i, fd, fds[static_cast<std::size_t>(i - 1)]);
                    check_nothing_left(fd);
                    co_await close_all(fd);
                }
            });
        }
        tally.check(rounds, backend);
        for (auto& p : pairs) ::close(p.b);
    }
}

TEST_CASE("regular files are read and written at offsets through io::read and io::write", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    char path[] = "/tmp/ringo-epoll-test-XXXXXX";
    int fd = ::mkostemp(path, O_CLOEXEC);
    REQUIRE(fd >= 0);
    ::unlink(path);
    auto data = ringo::test::random_bytes(256 << 10, 3);
    ringo::test::run(backend, [&]() -> Task<> {
        auto w = co_await io::write(fd, data, 0);
        REQUIRE(w.has_value());
        REQUIRE(*w == data.size());

        std::vector<std::byte> back(data.size());
        auto r = co_await io::read(fd, back, 0);
        REQUIRE(r.has_value());
        REQUIRE(*r == data.size());
        CHECK((back == data));

        std::byte mid[100];
        r = co_await io::read(fd, mid, 1000);
        REQUIRE(r.has_value());
        REQUIRE(*r == sizeof mid);
        CHECK(std::equal(mid, mid + sizeof mid, data.begin() + 1000));

        r = co_await io::read(fd, mid, data.size());  // at the end: EOF
        REQUIRE(r.has_value());
        CHECK(*r == 0);

        // UINT64_MAX: the file position, which the writes above left at 0.
        w = co_await io::write(fd, bytes_of("abc"), UINT64_MAX);
        REQUIRE(w.has_value());
        CHECK(*w == 3);
        char head[4] = {};
        REQUIRE(::pread(fd, head, 3, 0) == 3);
        CHECK(std::string_view(head) == "abc");
        CHECK(::lseek(fd, 0, SEEK_CUR) == 3);

        // Many at once: more than the pool has threads.
        std::vector<ringo::JoinHandle<bool>> readers;
        for (std::size_t i = 0; i < 16; ++i) {
            readers.push_back(ringo::spawn([](int f, std::size_t off, const std::vector<std::byte>& d) -> Task<bool> {
                std::vector<std::byte> buf(4096);
                auto n = co_await io::read(f, buf, off);
                co_return n.has_value() && *n == buf.size() && std::equal(buf.begin(), buf.end(), d.begin() + off);
            }(fd, 8192 + i * 4096, data)));
        }
        for (auto& h : readers) {
            auto ok = co_await h;
            CHECK((ok.has_value() && *ok));
        }
        co_await close_all(fd);
    });
}

TEST_CASE("closing a file while reads of it are in flight never fails them with EBADF", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    char path[] = "/tmp/ringo-epoll-test-XXXXXX";
    int fd = ::mkostemp(path, O_CLOEXEC);
    REQUIRE(fd >= 0);
    ::unlink(path);
    auto data = ringo::test::random_bytes(1 << 20, 4);
    REQUIRE(::pwrite(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
    ringo::test::run(backend, [&]() -> Task<> {
        std::vector<ringo::JoinHandle<ringo::Result<bool>>> readers;
        for (int i = 0; i < 8; ++i) {
            readers.push_back(ringo::spawn([](int f, const std::vector<std::byte>& d) -> Task<ringo::Result<bool>> {
                std::vector<std::byte> buf(d.size());
                auto n = co_await io::read(f, buf, 0);
                if (!n) co_return n.error_info();
                co_return *n == d.size() && buf == d;
            }(fd, data)));
        }
        co_await ringo::yield();  // every read is with the kernel (or the pool) now
        auto closed = co_await io::close(fd);
        CHECK(closed.has_value());
        for (auto& h : readers) {
            auto r = co_await h;
            REQUIRE(r.has_value());
            // The close may cancel a read that has not started (io_uring);
            // it must never pull the fd from under one.
            if (r->has_value()) CHECK(**r);
            else CHECK(is_canceled(r->error()));
        }
    });
}

TEST_CASE("a runtime torn down with recvs parked and file reads in flight ends cleanly", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    char path[] = "/tmp/ringo-epoll-test-XXXXXX";
    int file = ::mkostemp(path, O_CLOEXEC);
    REQUIRE(file >= 0);
    ::unlink(path);
    REQUIRE(::ftruncate(file, 1 << 20) == 0);
    std::vector<Pair> pairs;
    for (int i = 0; i < 8; ++i) pairs.push_back(socket_pair());
    ringo::test::run(backend, [&]() -> Task<> {
        for (auto& p : pairs) ringo::spawn(recv_one(p.a)).detach();
        for (int i = 0; i < 4; ++i) {
            ringo::spawn([](int f) -> Task<> {
                std::vector<std::byte> buf(1 << 20);
                (void)co_await io::read(f, buf, 0);
            }(file)).detach();
        }
        co_await ringo::yield();
        // Returning now: block_on cancels the tasks and waits for their ops.
    });
    for (auto& p : pairs) {
        ::close(p.a);  // the runtime that waited on them is gone
        ::close(p.b);
    }
    ::close(file);
}

TEST_CASE("bad fds give an error result, never a crash", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    const std::error_code ebadf(EBADF, std::system_category());
    ringo::test::run(backend, [&]() -> Task<> {
        std::byte buf[16];
        for (int fd : {-1, 1 << 29}) {
            auto r = co_await io::recv(fd, buf);
            CHECK(r.error() == ebadf);
            auto s = co_await io::send(fd, buf);
            CHECK(s.error() == ebadf);
            auto rd = co_await io::read(fd, buf, 0);
            CHECK(rd.error() == ebadf);
            auto a = co_await io::accept(fd);
            CHECK(a.error() == ebadf);
            auto c = co_await io::close(fd);
            CHECK(c.error() == ebadf);
        }
        // A directory: epoll refuses it, the pool reads it, read says EISDIR.
        int dir = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(dir >= 0);
        auto rd = co_await io::read(dir, buf, 0);
        CHECK(rd.error() == std::error_code(EISDIR, std::system_category()));
        // recv on something that is not a socket.
        auto r = co_await io::recv(dir, buf);
        CHECK(r.error() == std::error_code(ENOTSOCK, std::system_category()));
        co_await close_all(dir);
    });
}

namespace {

Task<void> echo_bytes(int fd) {
    std::byte c{};
    for (;;) {
        auto n = co_await io::recv(fd, std::span(&c, 1));
        if (!n || *n == 0) co_return;
        if (!(co_await io::send(fd, std::span(&c, 1)))) co_return;
    }
}

struct TurnCount {
    std::uint64_t turns;
    std::uint64_t kernel_entries;
};

// Loop turns and kernel entries of `messages` round trips on one busy pair
// while `idle` other pairs each have a recv parked.
TurnCount busy_among_idle(ringo::Backend backend, int idle, int messages) {
    TurnCount out{};
    run_on(backend, [&](ringo::Runtime& rt) -> Task<> {
        std::vector<Pair> idle_pairs;
        std::vector<ringo::JoinHandle<ringo::Result<std::size_t>>> waiters;
        for (int i = 0; i < idle; ++i) {
            idle_pairs.push_back(socket_pair());
            waiters.push_back(ringo::spawn(recv_one(idle_pairs.back().a)));
        }
        Pair busy = socket_pair();
        auto echo = ringo::spawn(echo_bytes(busy.b));
        std::byte c{1};
        auto round_trip = [&]() -> Task<bool> {
            auto s = co_await io::send(busy.a, std::span(&c, 1));
            auto r = co_await io::recv(busy.a, std::span(&c, 1));
            co_return s.has_value() && r.has_value() && *r == 1;
        };
        // The first round trips let every idle task park and the kernel
        // report the new fds' first (writable) edges.
        for (int i = 0; i < 20; ++i) {
            bool ok = co_await round_trip();
            REQUIRE(ok);
        }
        auto before = rt.stats();
        for (int i = 0; i < messages; ++i) {
            bool ok = co_await round_trip();
            REQUIRE(ok);
        }
        auto after = rt.stats();
        out = {after.loop_turns - before.loop_turns, after.kernel_entries - before.kernel_entries};

        for (auto& w : waiters) {
            CHECK_FALSE(w.done());
            w.cancel();
            auto r = co_await w;
            CHECK((r.has_value() && !r->has_value() && is_canceled(r->error())));
        }
        auto shut = co_await io::shutdown(busy.a, SHUT_WR);
        REQUIRE(shut.has_value());
        auto joined = co_await echo;
        CHECK(joined.has_value());
        std::vector<int> fds{busy.a, busy.b};
        for (auto& p : idle_pairs) {
            fds.push_back(p.a);
            fds.push_back(p.b);
        }
        co_await close_each(std::move(fds));
    });
    return out;
}

}  // namespace

TEST_CASE("1000 idle fds with parked recvs add no loop turns to a busy pair", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ensure_fd_limit(4096);
    ringo::test::FdLeakCheck leaks;
    constexpr int messages = 2000;
    auto alone = busy_among_idle(backend, 0, messages);
    auto crowded = busy_among_idle(backend, 1000, messages);
    INFO("turns alone " << alone.turns << ", among 1000 idle " << crowded.turns << "; kernel entries "
                        << alone.kernel_entries << " vs " << crowded.kernel_entries);
    // A round trip is a few turns, however many fds sit idle.
    CHECK(alone.turns <= 3 * messages);
    CHECK(crowded.turns <= 3 * messages);
    CHECK(crowded.turns <= alone.turns + alone.turns / 10 + 10);
    CHECK(crowded.kernel_entries <= alone.kernel_entries + alone.kernel_entries / 10 + 10);
}

TEST_CASE("steady-state round trips allocate nothing on the loop thread", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    ringo::test::run(backend, [&]() -> Task<> {
        Pair p = socket_pair();
        auto echo = ringo::spawn(echo_bytes(p.b));
        std::byte c{7};
        // Awaiters only, no sub-task: under ASan every coroutine frame comes
        // from operator new, and this counts the engine's allocations alone.
        // Counted inside, so this coroutine's own frame is not.
        std::uint64_t allocations = 0;
        auto round_trips = [&](int n) -> Task<bool> {
            bool ok = true;
            auto before = ringo::test::allocation_count();
            for (int i = 0; i < n; ++i) {
                auto s = co_await io::send(p.a, std::span(&c, 1));
                auto r = co_await io::recv(p.a, std::span(&c, 1));
                ok = ok && s.has_value() && r.has_value() && *r == 1;
            }
            allocations = ringo::test::allocation_count() - before;
            co_return ok;
        };
        bool warm = co_await round_trips(100);  // slabs, queues and PollDescs reach their size
        REQUIRE(warm);
        bool ok = co_await round_trips(2000);
        REQUIRE(ok);
        CHECK(allocations == 0);
        auto shut = co_await io::shutdown(p.a, SHUT_WR);
        REQUIRE(shut.has_value());
        auto echo_done = co_await echo;
        CHECK(echo_done.has_value());
        co_await close_all(p.a, p.b);
    });
}

TEST_CASE("the epoll_wait fallback rounds sub-millisecond timeouts up, so the loop does not spin",
          "[compat][epoll]") {
    ringo::test::FdLeakCheck leaks;
    auto backends = ringo::test::backends();
    if (std::find(backends.begin(), backends.end(), ringo::Backend::epoll) == backends.end()) {
        WARN("epoll backend not selected: nothing to check");
        return;
    }
    auto mode = GENERATE("1", "0");  // epoll_pwait2, then the epoll_wait fallback
    REQUIRE(::setenv("RINGO_EPOLL_PWAIT2", mode, 1) == 0);
    struct Unset {
        ~Unset() { ::unsetenv("RINGO_EPOLL_PWAIT2"); }
    } unset;
    constexpr int sleeps = 50;
    run_on(ringo::Backend::epoll, [&](ringo::Runtime& rt) -> Task<> {
        auto before = rt.stats().loop_turns;
        for (int i = 0; i < sleeps; ++i) {
            auto slept = co_await ringo::sleep_for(300us);
            REQUIRE(slept.has_value());
        }
        auto turns = rt.stats().loop_turns - before;
        INFO("RINGO_EPOLL_PWAIT2=" << mode << ": " << turns << " turns for " << sleeps << " sleeps");
        CHECK(turns <= 3 * sleeps);
    });
}
