// Defects found by hostile use (issue 11), one test each, on every backend:
// what a user can break without doing anything wrong. Each test failed
// before its fix.
#include "harness.hpp"
#include "tcp_support.hpp"

#include <ringo/engine/spawn.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <array>
#include <string>
#include <vector>

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
