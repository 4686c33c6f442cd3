// Read-ahead of borrowed reads (io_uring's multishot receive) and the
// guarantees every backend gives the same: byte-exact bulk transfer, no
// stream starved by a fast one sharing a small pool, bounded buffers for a
// stream whose task stops reading, nothing lost or reordered across
// deadlines, plain reads mixed in, EOF and reset behind queued data, and a
// number reused behind ringo's back. Each runs on every read variant
// (tests/support/tcp_support.hpp): with read-ahead, with one recv per read,
// without the buffer ring, and on epoll.
#include "harness.hpp"
#include "tcp_support.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

using namespace std::chrono_literals;
using ringo::Task;
using ringo::net::TcpStream;
using ringo::test::describe;
using Variant = ringo::test::ReadVariant;

namespace {

ringo::Stats stats_now() { return ringo::Runtime::current()->stats(); }

// Nothing lent, nothing held by read-ahead.
void check_pool_at_rest() {
    const auto st = stats_now();
    CHECK(st.buffers_lent == 0);
    CHECK(st.buffers_read_ahead == 0);
}

bool reads_ahead() {
    return ringo::Runtime::current()->fast_paths().has(ringo::Feature::multishot_recv);
}

// The byte at offset i of a pattern no two nearby chunks share.
std::byte pattern(std::uint64_t i) { return static_cast<std::byte>((i * 2654435761u) >> 13); }

// Lets the loop wait in the kernel (a short sleep, so it fetches what
// arrived even when no read waits) until pred holds, at most `turns` times.
template <class Pred>
Task<> turn_until(Pred pred, int turns = 200) {
    for (int i = 0; i < turns && !pred(); ++i) (void)co_await ringo::sleep_for(1ms);
}

// Writes `total` bytes of the pattern in writes of `chunk`, then closes.
Task<bool> write_pattern(TcpStream& out, std::uint64_t total, std::size_t chunk) {
    std::vector<std::byte> buf(chunk);
    for (std::uint64_t off = 0; off < total; off += chunk) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, total - off));
        for (std::size_t i = 0; i < n; ++i) buf[i] = pattern(off + i);
        auto w = co_await out.write_all(std::span(buf).first(n));
        if (!w) co_return false;
    }
    co_await out.close();
    co_return true;
}

// Borrowed reads until EOF, appended to got.
Task<> read_to_eof(TcpStream& in, std::vector<std::byte>& got) {
    for (;;) {
        auto b = co_await in.read_borrowed();
        REQUIRE(b.has_value());
        if (b->empty()) co_return;
        got.insert(got.end(), b->bytes().begin(), b->bytes().end());
    }
}

bool is_pattern(const std::vector<std::byte>& got) {
    for (std::size_t i = 0; i < got.size(); ++i)
        if (got[i] != pattern(i)) return false;
    return true;
}

ringo::RuntimeOptions options(Variant v, ringo::ReadBufferOptions buffers = {}) {
    return ringo::test::read_options(v, buffers);
}

}  // namespace

TEST_CASE("borrowed reads take 64 MiB byte-exact, and read-ahead serves them with few requests",
          "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    constexpr std::uint64_t total = 64ull << 20;
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            auto writer = ringo::spawn(write_pattern(c, total, 256 * 1024));
            std::uint64_t got = 0, reads = 0, mismatch_at = UINT64_MAX;
            const auto before = stats_now();
            for (;;) {
                auto b = co_await s.read_borrowed();
                REQUIRE(b.has_value());
                if (b->empty()) break;
                ++reads;
                const std::byte* p = b->data();
                for (std::size_t i = 0; i < b->size() && mismatch_at == UINT64_MAX; ++i)
                    if (p[i] != pattern(got + i)) mismatch_at = got + i;
                got += b->size();
            }
            auto wrote = co_await writer;
            CHECK(wrote.value());
            CHECK(got == total);
            CHECK(mismatch_at == UINT64_MAX);
            const auto after = stats_now();
            if (reads_ahead()) {
                // One request serves read_ahead buffers at least (a byte
                // budget, or a cancel at that many queued).
                const auto arms = after.multishot_recv_arms - before.multishot_recv_arms;
                INFO(reads << " reads, " << arms << " multishot requests");
                CHECK(arms * 2 <= reads);
            }
            co_await s.close();
            check_pool_at_rest();
        },
        options(v, {16384, 256, 16}));
}

TEST_CASE("a fast sender sharing a small pool starves no other stream", "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    constexpr int slow = 6, rounds = 30;
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            auto fast = co_await ringo::test::connected_pair(l);
            std::vector<ringo::test::StreamPair> slows;
            for (int i = 0; i < slow; ++i) slows.push_back(co_await ringo::test::connected_pair(l));
            bool stop = false;
            std::uint64_t fast_reads = 0;
            // The flood: as fast as the socket takes it, until the others are done.
            auto flood = ringo::spawn([](TcpStream& out, const bool& halt) -> Task<> {
                std::vector<std::byte> chunk(64 * 1024, std::byte{0x5a});
                while (!halt)
                    if (!co_await out.write_all(chunk)) break;
                co_await out.shutdown(ringo::net::Shutdown::write);
            }(fast.client, stop));
            auto drain = ringo::spawn([](TcpStream& in, std::uint64_t& n) -> Task<> {
                for (;;) {
                    auto b = co_await in.read_borrowed();
                    if (!b || b->empty()) break;
                    ++n;
                }
            }(fast.server, fast_reads));
            // Echo servers on the slow streams.
            std::vector<ringo::JoinHandle<void>> echoes;
            for (auto& p : slows)
                echoes.push_back(ringo::spawn([](TcpStream& s) -> Task<> {
                    for (;;) {
                        auto b = co_await s.read_borrowed();
                        if (!b || b->empty()) break;
                        if (!co_await s.write_all(b->bytes())) break;
                    }
                }(p.server)));
            // Each slow client's round trips complete while the flood runs,
            // each within a bounded number of the fast stream's reads.
            std::uint64_t worst = 0;
            for (int r = 0; r < rounds; ++r) {
                for (auto& p : slows) {
                    const auto start = fast_reads;
                    auto w = co_await p.client.write_all(std::string_view("ping-pong-msg"));
                    REQUIRE(w);
                    char back[13];
                    auto got = co_await p.client.read_exact(back);
                    REQUIRE(got);
                    CHECK(std::string_view(back, 13) == "ping-pong-msg");
                    worst = std::max(worst, fast_reads - start);
                }
            }
            INFO("worst: " << worst << " fast reads during one slow round trip; " << fast_reads << " in all");
            CHECK(worst <= 512);
            stop = true;
            (void)co_await flood;
            (void)co_await drain;
            for (auto& p : slows) co_await p.client.close();
            for (auto& e : echoes) (void)co_await e;
            for (auto& p : slows) co_await p.server.close();
            co_await fast.client.close();
            co_await fast.server.close();
            check_pool_at_rest();
        },
        options(v, {4096, 16, 16}));
}

TEST_CASE("a stream whose task stops reading holds a bounded number of buffers and loses nothing",
          "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    constexpr std::size_t total = 4 << 20;
    const ringo::ReadBufferOptions buffers{4096, 256, 256};
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            auto writer = ringo::spawn(write_pattern(c, total, total));
            std::vector<std::byte> got;
            auto first = co_await s.read_borrowed();
            REQUIRE(first.has_value());
            got.insert(got.end(), first->bytes().begin(), first->bytes().end());
            first = ringo::BorrowedBuffer{};
            // The task stops reading; the sender keeps going until the
            // socket buffers are full. Whatever read-ahead took stays bounded.
            std::uint32_t most = 0;
            for (int i = 0; i < 300; ++i) {
                co_await ringo::yield();
                most = std::max(most, stats_now().buffers_read_ahead);
            }
            INFO("at most " << most << " buffers read ahead");
            if (reads_ahead()) {
                CHECK(most >= 1);
                // The kernel's budget ends the request after read_ahead
                // buffers' worth (the last delivery may overshoot it).
                CHECK(most <= buffers.read_ahead + 1);
            } else {
                CHECK(most == 0);
            }
            co_await read_to_eof(s, got);
            auto wrote = co_await writer;
            CHECK(wrote.value());
            REQUIRE(got.size() == total);
            CHECK(is_pattern(got));
            co_await s.close();
            check_pool_at_rest();
        },
        options(v, buffers));
}

TEST_CASE("plain and borrowed reads mixed on one stream keep the byte order", "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    constexpr std::size_t total = 1 << 20;
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            // Small writes, so reads see many deliveries.
            auto writer = ringo::spawn(write_pattern(c, total, 3000));
            std::vector<std::byte> got;
            std::array<std::byte, 777> small{};
            for (int i = 0;; ++i) {
                if (i % 3 == 2) {
                    auto n = co_await s.read(small);
                    REQUIRE(n.has_value());
                    if (*n == 0) break;
                    got.insert(got.end(), small.begin(), small.begin() + static_cast<std::ptrdiff_t>(*n));
                } else {
                    auto b = co_await s.read_borrowed();
                    REQUIRE(b.has_value());
                    if (b->empty()) break;
                    got.insert(got.end(), b->bytes().begin(), b->bytes().end());
                }
            }
            auto wrote = co_await writer;
            CHECK(wrote.value());
            REQUIRE(got.size() == total);
            CHECK(is_pattern(got));
            co_await s.close();
            CHECK(stats_now().buffers_read_ahead == 0);
        },
        options(v, {4096, 64, 16}));
}

TEST_CASE("a read that times out loses none of what arrives after it", "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            {
                auto w = co_await c.write_all(std::string_view("one"));
                REQUIRE(w);
            }
            auto b = co_await s.read_borrowed();  // arms read-ahead where there is one
            REQUIRE(b.has_value());
            CHECK(std::string_view(reinterpret_cast<const char*>(b->data()), b->size()) == "one");
            b = ringo::BorrowedBuffer{};
            s.set_read_deadline(ringo::Clock::now() + 20ms);
            auto late = co_await s.read_borrowed();
            REQUIRE_FALSE(late.has_value());
            CHECK(late.error() == ringo::errc::timed_out);
            s.set_read_deadline({});
            {
                auto w = co_await c.write_all(std::string_view("two"));
                REQUIRE(w);
            }
            std::string rest;
            while (rest.size() < 3) {
                auto r = co_await s.read_borrowed();
                REQUIRE(r.has_value());
                REQUIRE_FALSE(r->empty());
                rest.append(reinterpret_cast<const char*>(r->data()), r->size());
            }
            CHECK(rest == "two");
            co_await c.close();
            co_await s.close();
        },
        options(v));
}

TEST_CASE("EOF and a reset arriving behind read-ahead data come after that data",
          "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    const bool reset = GENERATE(false, true);
    INFO(describe(v) << (reset ? ", reset" : ", EOF"));
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            auto [c, s] = co_await ringo::test::connected_pair(l);
            {
                auto w = co_await c.write_all(std::string_view("arm"));
                REQUIRE(w);
            }
            auto first = co_await s.read_borrowed();
            REQUIRE(first.has_value());
            first = ringo::BorrowedBuffer{};
            {
                auto w = co_await c.write_all(std::string_view("queued data"));
                REQUIRE(w);
            }
            // Read-ahead takes it in while the task does not ask.
            co_await turn_until([] { return stats_now().buffers_read_ahead > 0; });
            const bool queued = stats_now().buffers_read_ahead > 0;
            if (reads_ahead()) REQUIRE(queued);
            if (reset) {
                linger lg{1, 0};  // close sends RST
                REQUIRE(::setsockopt(c.native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
            }
            co_await c.close();
            for (int i = 0; i < 20; ++i) co_await ringo::yield();  // the end reaches the reader's side
            std::string got;
            std::error_code end;
            for (;;) {
                auto b = co_await s.read_borrowed();
                if (!b) {
                    end = b.error();
                    break;
                }
                if (b->empty()) break;
                got.append(reinterpret_cast<const char*>(b->data()), b->size());
            }
            INFO("got '" << got << "', then " << (end ? end.message() : std::string("EOF")));
            if (queued || !reset) CHECK(got == "queued data");  // a reset may drop what the kernel held
            if (reset) CHECK(end == std::errc::connection_reset);
            else CHECK_FALSE(end);
            co_await s.close();
            check_pool_at_rest();
        },
        options(v));
}

TEST_CASE("a stream closed with read-ahead queued gives its buffers back", "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            for (int round = 0; round < 20; ++round) {
                auto [c, s] = co_await ringo::test::connected_pair(l);
                {
                    auto w = co_await c.write_all(std::string_view("arm"));
                    REQUIRE(w);
                }
                auto first = co_await s.read_borrowed();
                REQUIRE(first.has_value());
                first = ringo::BorrowedBuffer{};
                // A reader parked while data queues, then the stream goes.
                auto reader = ringo::spawn([](TcpStream& in) -> Task<std::size_t> {
                    std::size_t n = 0;
                    for (;;) {
                        auto b = co_await in.read_borrowed();
                        if (!b || b->empty()) co_return n;
                        n += b->size();
                        for (int k = 0; k < 3; ++k) co_await ringo::yield();
                    }
                }(s));
                std::vector<std::byte> chunk(20000, std::byte{1});
                {
                    auto w = co_await c.write_all(chunk);
                    REQUIRE(w);
                }
                for (int k = 0; k < round % 5; ++k) co_await ringo::yield();
                co_await s.close();
                (void)co_await reader;
                co_await c.close();
            }
            co_await turn_until([] { return stats_now().buffers_read_ahead == 0; }, 50);
            check_pool_at_rest();
        },
        options(v, {4096, 64, 16}));
}

TEST_CASE("a number closed behind ringo's back with read-ahead queued serves only its new socket",
          "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto old = ringo::test::socket_pair();
            ringo::io::opened(old.a);
            ringo::io::opened(old.b);
            REQUIRE(::write(old.a, "arm", 3) == 3);
            {
                auto b = co_await ringo::io::stream_recv_pooled(old.b, 0, "read");
                REQUIRE(b.has_value());
            }
            REQUIRE(::write(old.a, "OLD", 3) == 3);
            co_await turn_until([] { return stats_now().buffers_read_ahead > 0; });
            if (reads_ahead()) REQUIRE(stats_now().buffers_read_ahead > 0);
            ::close(old.b);  // behind ringo's back
            auto fresh = ringo::test::socket_pair();
            REQUIRE(fresh.a == old.b);  // the lowest free number
            ringo::io::opened(fresh.a);
            ringo::io::opened(fresh.b);
            REQUIRE(::write(fresh.b, "NEW", 3) == 3);
            auto b = co_await ringo::io::stream_recv_pooled(fresh.a, 0, "read");
            REQUIRE(b.has_value());
            CHECK(std::string_view(reinterpret_cast<const char*>(b->data()), b->size()) == "NEW");
            b = ringo::BorrowedBuffer{};
            CHECK(stats_now().buffers_read_ahead == 0);
            // The old peer's bytes never reach the new socket.
            // (EPIPE where the old socket is gone already.)
            (void)::send(old.a, "STALE", 5, MSG_NOSIGNAL | MSG_DONTWAIT);
            REQUIRE(::write(fresh.b, "more", 4) == 4);
            auto m = co_await ringo::io::stream_recv_pooled(fresh.a, 0, "read");
            REQUIRE(m.has_value());
            CHECK(std::string_view(reinterpret_cast<const char*>(m->data()), m->size()) == "more");
            m = ringo::BorrowedBuffer{};
            co_await ringo::io::close(fresh.a);
            co_await ringo::io::close(fresh.b);
            co_await ringo::io::close(old.a);
        },
        options(v));
}

TEST_CASE("a read whose bytes are read ahead starts even while other reads wait for buffers",
          "[net][borrowed][read_ahead]") {
    ringo::test::FdLeakCheck fds;
    auto v = GENERATE(from_range(ringo::test::read_variants()));
    INFO(describe(v));
    // Eight buffers, all of them read ahead for two streams; a third
    // stream's read then waits for one. A read on either of the two needs
    // no buffer: parked behind the waiter, nothing would ever free one.
    const ringo::ReadBufferOptions buffers{4096, 8, 8};
    ringo::test::run(
        v.backend,
        [&]() -> Task<> {
            auto l = ringo::test::listen_any();
            std::vector<ringo::test::StreamPair> p;
            for (int i = 0; i < 3; ++i) {
                p.push_back(co_await ringo::test::connected_pair(l));
                auto w = co_await p.back().client.write_all(std::string_view("x"));
                REQUIRE(w);
                auto first = co_await p.back().server.read_borrowed();  // arms read-ahead
                REQUIRE(first.has_value());
            }
            const std::vector<std::byte> block(4 * 4096, std::byte{7});
            for (int i = 0; i < 2; ++i) {
                auto w = co_await p[i].client.write_all(block);
                REQUIRE(w);
            }
            co_await turn_until([&] { return stats_now().buffers_read_ahead >= 8; });
            const bool all_held = stats_now().buffers_read_ahead >= 8;
            if (reads_ahead()) REQUIRE(all_held);
            std::size_t third = 0;
            auto waiter = ringo::spawn([](TcpStream& s, std::size_t& n) -> Task<> {
                auto b = co_await s.read_borrowed();
                REQUIRE(b.has_value());
                n = b->size();
            }(p[2].server, third));
            {
                auto w = co_await p[2].client.write_all(std::string_view("third"));
                REQUIRE(w);
            }
            co_await turn_until([] { return stats_now().buffer_waits > 0; });
            if (all_held) REQUIRE(stats_now().buffer_waits > 0);
            // Each of the first two streams reads its 16 KiB back.
            for (int i = 0; i < 2; ++i) {
                std::size_t got = 0;
                while (got < block.size()) {
                    auto b = co_await ringo::with_timeout(2s, p[i].server.read_borrowed());
                    INFO((b ? "" : b.message()));  // timed_out: parked behind the waiter with its bytes in hand
                    REQUIRE(b.has_value());
                    got += b->size();
                }
                CHECK(got == block.size());
            }
            (void)co_await waiter;
            CHECK(third == 5);
            for (auto& x : p) {
                co_await x.client.close();
                co_await x.server.close();
            }
            check_pool_at_rest();
        },
        options(v, buffers));
}
