// Defects found by hostile use (issue 11), one test each, on every backend:
// what a user can break without doing anything wrong. Each test failed
// before its fix.
#include "harness.hpp"
#include "tcp_support.hpp"

#include <ringo/engine/spawn.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using ringo::Task;
using ringo::net::TcpStream;
using ringo::test::listen_any;

namespace {

using ringo::test::read_options;
using ringo::test::read_variants;

std::string text_of(const ringo::BorrowedBuffer& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

using Ms = std::chrono::duration<double, std::milli>;

// How late each of `rounds` sleeps of `period` wakes up: the loop's latency
// as any timer sees it.
Task<double> worst_timer_lateness_ms(int rounds, std::chrono::milliseconds period) {
    double worst = 0;
    for (int i = 0; i < rounds; ++i) {
        auto t0 = ringo::Clock::now();
        auto r = co_await ringo::sleep_for(period);
        REQUIRE(r);
        worst = std::max(worst, Ms(ringo::Clock::now() - t0 - period).count());
    }
    co_return worst;
}

// Lowers RLIMIT_NOFILE and fills every free number below it, so that no
// new fd can be had. Restored when it goes.
class NoFreeFds {
public:
    NoFreeFds() {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        int highest = 0;
        for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
            highest = std::max(highest, std::stoi(e.path().filename().string()));
        rlimit low = saved_;
        low.rlim_cur = static_cast<rlim_t>(highest + 1);
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
        for (int fd; (fd = ::dup(0)) >= 0;) fillers_.push_back(fd);
    }
    ~NoFreeFds() {
        for (int fd : fillers_) ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }
    NoFreeFds(const NoFreeFds&) = delete;
    NoFreeFds& operator=(const NoFreeFds&) = delete;

private:
    rlimit saved_{};
    std::vector<int> fillers_;
};

}  // namespace

TEST_CASE("close cancels a borrowed read that waits for a pool buffer; its fd's next file never sees it",
          "[net][borrowed][hostile]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(read_variants()));
    INFO(ringo::test::describe(v));
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = listen_any();
            auto holder = co_await ringo::test::connected_pair(l);
            auto victim = co_await ringo::test::connected_pair(l);
            auto w1 = co_await holder.client.write_all(std::string_view("h"));
            auto w2 = co_await victim.client.write_all(std::string_view("old"));
            REQUIRE(w1);
            REQUIRE(w2);

            // The only buffer, held until told.
            bool release = false;
            auto held = ringo::spawn([](TcpStream& s, bool& go) -> Task<> {
                auto b = co_await s.read_borrowed();
                REQUIRE(b.has_value());
                while (!go) co_await ringo::yield();
            }(holder.server, release));
            while (ringo::Runtime::current()->stats().buffers_lent == 0) co_await ringo::yield();

            auto stale = ringo::spawn([](TcpStream& s) -> Task<std::string> {
                auto b = co_await s.read_borrowed();
                if (!b) co_return b.error() == ringo::errc::operation_canceled ? "canceled" : b.error().message();
                co_return "read " + text_of(*b);
            }(victim.server));
            for (int i = 0; i < 5; ++i) co_await ringo::yield();
            REQUIRE(ringo::Runtime::current()->stats().buffer_waits > 0);

            // The next connection's client socket exists first, so the
            // accepted end is the one that takes the freed number.
            ringo::test::StreamPair fresh;
            fresh.client = TcpStream(ringo::test::raw_tcp_socket());
            const int number = victim.server.native_handle();
            co_await victim.server.close();
            ringo::test::raw_connect(fresh.client.native_handle(), ringo::test::addr_of(l));
            auto accepted = co_await l.accept();
            REQUIRE(accepted.has_value());
            fresh.server = std::move(*accepted);
            INFO("closed fd " << number << ", next connection's fd " << fresh.server.native_handle());
            CHECK(fresh.server.native_handle() == number);
            auto w3 = co_await fresh.client.write_all(std::string_view("new"));
            REQUIRE(w3);

            auto fresh_read = ringo::spawn([](TcpStream& s) -> Task<std::string> {
                auto b = co_await ringo::with_timeout(2s, s.read_borrowed());
                if (!b) co_return b.error().message();
                co_return "read " + text_of(*b);
            }(fresh.server));
            release = true;
            (void)co_await held;
            auto old_outcome = co_await stale;
            auto new_outcome = co_await fresh_read;
            REQUIRE(old_outcome.has_value());
            REQUIRE(new_outcome.has_value());
            CHECK(*old_outcome == "canceled");
            CHECK(*new_outcome == "read new");
            for (auto* s : {&holder.client, &holder.server, &victim.client, &fresh.client, &fresh.server})
                co_await s->close();
        },
        read_options(v, {64, 1, 1}));
}

TEST_CASE("an accept loop at EMFILE backs off instead of spinning, and recovers when fds come back",
          "[net][tcp][hostile]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto l = listen_any();
        constexpr int clients = 8;
        std::vector<TcpStream> out;
        for (int i = 0; i < clients; ++i) out.emplace_back(ringo::test::raw_tcp_socket());
        std::vector<TcpStream> in;
        int failures = 0;
        double worst_ms = 0;
        {
            NoFreeFds limit;
            for (auto& c : out) ringo::test::raw_connect(c.native_handle(), ringo::test::addr_of(l));
            auto ticker = ringo::spawn(worst_timer_lateness_ms(20, 5ms));
            // A loop as a user writes it: report the error, accept again.
            const auto end = ringo::Clock::now() + 300ms;
            while (ringo::Clock::now() < end) {
                auto c = co_await ringo::with_timeout(1s, l.accept());  // a hang fails, not blocks
                if (c) {
                    in.push_back(std::move(*c));
                    continue;
                }
                REQUIRE(c.error() == std::errc::too_many_files_open);
                ++failures;
            }
            auto worst = co_await ticker;
            REQUIRE(worst.has_value());
            worst_ms = *worst;
        }
        INFO("failed accepts in 300 ms: " << failures << ", worst timer lateness " << worst_ms << " ms");
        CHECK(in.empty());
        CHECK(failures >= 1);
        CHECK(failures <= 12);  // 5, 10, 20, ... ms: about 6 in 300 ms
        CHECK(worst_ms < 100);
        CHECK(ringo::Runtime::current()->stats().accept_backoffs >= static_cast<std::uint64_t>(failures));
        // Fds are back: every queued connection is accepted.
        while (in.size() < clients) {
            auto c = co_await ringo::with_timeout(3s, l.accept());
            REQUIRE(c.has_value());
            in.push_back(std::move(*c));
        }
        for (auto& c : out) co_await c.close();
        for (auto& c : in) co_await c.close();
    });
}

TEST_CASE("a connection whose reads always complete in place does not starve timers", "[net][tcp][hostile]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto pair = ringo::test::socket_pair();
        TcpStream reader(pair.a);
        // A peer sending flat out for a second, from another thread.
        std::thread firehose([fd = pair.b] {
            std::vector<char> chunk(65536, 'x');
            const auto end = std::chrono::steady_clock::now() + 1s;
            while (std::chrono::steady_clock::now() < end) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 10);
                (void)::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            }
            ::shutdown(fd, SHUT_WR);
        });
        auto drain = ringo::spawn([](TcpStream& s) -> Task<std::uint64_t> {
            std::array<std::byte, 16> buf{};  // small reads: many per byte sent
            std::uint64_t total = 0;
            for (;;) {
                auto n = co_await s.read(buf);
                if (!n || *n == 0) break;
                total += *n;
            }
            co_return total;
        }(reader));
        const double worst = co_await worst_timer_lateness_ms(50, 1ms);
        auto total = co_await drain;
        firehose.join();
        ::close(pair.b);
        co_await reader.close();
        REQUIRE(total.has_value());
        INFO("read " << *total << " bytes; worst lateness of a 1 ms timer " << worst << " ms");
        CHECK(*total > 0);
        CHECK(worst < 50);
        // Reads that never complete in place (io_uring, fast paths off)
        // need no budget.
        auto st = ringo::Runtime::current()->stats();
        CHECK((st.ops_inline < 1000 || st.coop_yields > 0));
    });
}

TEST_CASE("a read deadline reaches every pending read of a stream, not only the latest", "[net][tcp][hostile]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto l = listen_any();
        auto pair = co_await ringo::test::connected_pair(l);
        auto reader = [](TcpStream& s) -> Task<bool> {
            std::array<std::byte, 8> buf{};
            auto r = co_await s.read(buf);
            co_return !r && r.error() == ringo::errc::timed_out;
        };
        auto first = ringo::spawn(reader(pair.server));
        auto second = ringo::spawn(reader(pair.server));
        co_await ringo::yield();  // both reads pending
        pair.server.set_read_deadline(ringo::Clock::now() + 20ms);
        auto a = co_await ringo::with_timeout(2s, std::move(first));
        auto b = co_await ringo::with_timeout(2s, std::move(second));
        REQUIRE(a.has_value());
        REQUIRE(b.has_value());
        CHECK(*a);
        CHECK(*b);
        co_await pair.client.close();
        co_await pair.server.close();
    });
}

TEST_CASE("peer_addr() gives the accepted peer's address after the peer has reset", "[net][tcp][hostile]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto l = listen_any();
        auto pair = co_await ringo::test::connected_pair(l);
        auto client_addr = pair.client.local_addr();
        REQUIRE(client_addr.has_value());
        linger lg{1, 0};
        REQUIRE(::setsockopt(pair.client.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
        co_await pair.client.close();  // RST
        std::array<std::byte, 8> buf{};
        auto r = co_await pair.server.read(buf);  // the reset has arrived
        CHECK(!r);
        auto peer = pair.server.peer_addr();
        INFO((peer ? peer->to_string() : peer.error().message()));
        REQUIRE(peer.has_value());
        CHECK(*peer == *client_addr);
        co_await pair.server.close();
    });
}

TEST_CASE("a close that is never awaited still closes its fd", "[net][tcp][hostile]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::run(backend, [&]() -> Task<> {
        auto l = listen_any();
        for (int i = 0; i < 20; ++i) {
            auto pair = co_await ringo::test::connected_pair(l);
            const int fd = pair.server.native_handle();
            (void)pair.server.close();  // dropped, never awaited
            CHECK_FALSE(pair.server.is_open());
            co_await ringo::yield();
            CHECK(::fcntl(fd, F_GETFD) == -1);
            co_await pair.client.close();
        }
    });
    // Outside any runtime too.
    int p[2];
    REQUIRE(::pipe(p) == 0);
    (void)ringo::io::close(p[0]);
    (void)ringo::io::close(p[1]);
    CHECK(::fcntl(p[0], F_GETFD) == -1);
}
