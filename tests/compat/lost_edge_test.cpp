// The edge-triggered rule that matters most: no readiness edge may be lost
// in the window between a recv's EAGAIN and its parking. A writer thread
// sends one byte per round into that window (and around it), on one
// socketpair and on a fresh one per round, where the fd's registration
// races the byte; every byte must arrive, exactly once and in order, on
// every backend. The comment above the test case says why the window is
// safe. Every wait is bounded; no fd leaks.
#include "fd_support.hpp"
#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/runtime.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using ringo::Task;
namespace io = ringo::io;

namespace {

using ringo::test::close_all;
using ringo::test::Pair;
using ringo::test::run_on;
using ringo::test::socket_pair;

// Every coroutine here awaits first and asserts on the value after
// (fd_support.hpp says why).

}  // namespace

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

    RacingWriter(int rounds, const std::vector<int>& fds)
        : fds_(fds), thread_([this, rounds] { run(rounds); }) {}
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
            for (int s = sent_.load(std::memory_order_acquire); s < round;
                 s = sent_.load(std::memory_order_acquire))
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
            for (int spin = (i * 37) % 256; spin > 0; --spin)
                std::atomic_signal_fence(std::memory_order_seq_cst);
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
    std::string landed;               // the bytes each round's recv got, in round order
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
