// Forcing fallbacks: each engine fast path, disabled through
// RuntimeOptions::disable, makes an io_uring runtime take its plain path
// (Runtime::fast_paths() says which, and an echo still works on it);
// RINGO_DISABLE does the same from the environment; unknown names fail
// runtime creation with the valid names; RINGO_DISABLE=io_uring moves
// automatic selection to epoll with a reason. RINGO_BACKEND steers automatic
// selection: epoll is chosen without a word, an unknown name is an error,
// and uring where it cannot run is an error that says why. The core of the
// suite runs with every fast path off too (tests/meson.build:
// fast-paths-off-uring).
#include "harness.hpp"
#include "scoped_env.hpp"

#include <ringo/engine/probe.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

using ringo::Feature;
using ringo::FeatureSet;
using ringo::Task;
using ringo::net::SocketAddr;
using ringo::net::TcpListener;
using ringo::net::TcpStream;

namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// Runtime options whose log hook keeps every line.
struct LoggedOptions {
    std::vector<std::string> lines;
    ringo::RuntimeOptions options(ringo::Backend b = ringo::Backend::automatic) {
        ringo::RuntimeOptions o;
        o.backend = b;
        o.log = [this](std::string_view line) { lines.emplace_back(line); };
        return o;
    }
};

bool uring_here() {
    auto b = ringo::test::backends();
    return std::find(b.begin(), b.end(), ringo::Backend::uring) != b.end();
}

// Why the io_uring cases do not run here: RINGO_BACKEND narrowed the run to
// another backend (tests/support/harness.hpp), or the probe's reason.
std::string why_no_uring() {
    if (const char* env = std::getenv("RINGO_BACKEND"); env && *env) {
        auto b = ringo::parse_backend(env);
        if (b && *b != ringo::Backend::uring && *b != ringo::Backend::automatic)
            return std::string("skipped: RINGO_BACKEND=") + env + " runs this suite on that backend only";
    }
    return "skipped: io_uring is not available here: " + ringo::probe().uring.reason;
}

// One connection through accept, connect, send, recv and close: the paths
// every fast path touches; with `borrowed`, the server reads with
// read_borrowed, so read-ahead (multishot receive) has its say too.
Task<> echo_once(bool borrowed = false) {
    auto l = TcpListener::bind(SocketAddr::v4_loopback(0));
    REQUIRE(l.has_value());
    auto addr = l->local_addr();
    REQUIRE(addr.has_value());
    auto server = ringo::spawn([](TcpListener& listener, bool borrow) -> Task<> {
        auto c = co_await listener.accept();
        REQUIRE(c.has_value());
        std::string buf;
        if (borrow) {
            while (buf.size() < 5) {
                auto b = co_await c->read_borrowed();
                REQUIRE(b.has_value());
                REQUIRE_FALSE(b->empty());
                buf.append(reinterpret_cast<const char*>(b->data()), b->size());
            }
        } else {
            buf.resize(5);
            auto got = co_await c->read_exact(std::span(buf.data(), buf.size()));
            REQUIRE(got);
        }
        auto sent = co_await c->write_all(std::string_view(buf));
        CHECK(sent);
        co_await c->close();
    }(*l, borrowed));
    auto c = co_await TcpStream::connect(*addr);
    REQUIRE(c.has_value());
    auto sent = co_await c->write_all(std::string_view("hello"));
    CHECK(sent);
    std::array<char, 5> back{};
    auto got = co_await c->read_exact(back);
    REQUIRE(got);
    CHECK(std::string_view(back.data(), back.size()) == "hello");
    co_await c->close();
    (void)co_await server;
}

}  // namespace

TEST_CASE("each disabled fast path makes an io_uring runtime take its plain path", "[probe][fastpath]") {
    if (!uring_here()) {
        SUCCEED(why_no_uring());
        return;
    }
    ringo::test::FdLeakCheck fds;
    const ringo::ProbeReport& report = ringo::probe();
    for (std::size_t i = 0; i < ringo::feature_count; ++i) {
        auto f = static_cast<Feature>(i);
        if (!ringo::is_fast_path(f)) continue;
        INFO("disabled: " << ringo::feature_name(f));
        ringo::RuntimeOptions opts;
        opts.backend = ringo::Backend::uring;
        opts.disable = ringo::feature_name(f);
        auto rt = ringo::Runtime::create(opts);
        REQUIRE(rt.has_value());
        const FeatureSet used = (*rt)->fast_paths();
        CHECK_FALSE(used.has(f));
        // The plain path is not a lesser runtime: the same echo works.
        const bool read_ahead_path =
            f == Feature::multishot_recv || f == Feature::multishot_recv_limit || f == Feature::buf_ring;
        (*rt)->block_on(echo_once(read_ahead_path));
        if (f == Feature::speculative_send) CHECK((*rt)->stats().inline_syscalls == 0);
        if (read_ahead_path) {
            CHECK_FALSE(used.has(Feature::multishot_recv));  // read-ahead needs all three
            CHECK((*rt)->stats().multishot_recv_arms == 0);
        }
        if (f == Feature::defer_taskrun && report.has(Feature::coop_taskrun))
            CHECK(used.has(Feature::coop_taskrun));  // the ladder's next step
    }
}

TEST_CASE("an io_uring runtime uses exactly the fast paths the verdict promises", "[probe][fastpath]") {
    if (!uring_here()) {
        SUCCEED(why_no_uring());
        return;
    }
    for (const char* disable : {"", "all", "defer_taskrun,registered_ring_fd"}) {
        INFO("disable: " << disable);
        ringo::RuntimeOptions opts;
        opts.backend = ringo::Backend::uring;
        opts.disable = disable;
        auto disabled = ringo::disabled_features(opts);
        REQUIRE(disabled.has_value());
        auto rt = ringo::Runtime::create(opts);
        REQUIRE(rt.has_value());
        CHECK((*rt)->fast_paths() == ringo::decide(ringo::probe(), *disabled).used());
        (*rt)->block_on(echo_once());
        // Speculation is a chance, not a promise (only while the SQ is
        // empty); without it no syscall may run in place.
        if (!(*rt)->fast_paths().has(Feature::speculative_send)) CHECK((*rt)->stats().inline_syscalls == 0);
    }
}

TEST_CASE("RINGO_DISABLE forces fallbacks from the environment", "[probe][fastpath]") {
    if (!uring_here()) {
        SUCCEED(why_no_uring());
        return;
    }
    ringo::test::ScopedEnv env("RINGO_DISABLE", "multishot_accept, speculative_send");
    ringo::RuntimeOptions opts;
    opts.backend = ringo::Backend::uring;
    auto rt = ringo::Runtime::create(opts);
    REQUIRE(rt.has_value());
    CHECK_FALSE((*rt)->fast_paths().has(Feature::multishot_accept));
    CHECK_FALSE((*rt)->fast_paths().has(Feature::speculative_send));
    (*rt)->block_on(echo_once());
}

TEST_CASE("an unknown feature name fails runtime creation and lists the valid ones", "[probe][fastpath]") {
    for (auto backend : {ringo::Backend::automatic, ringo::Backend::epoll, ringo::Backend::uring}) {
        ringo::RuntimeOptions opts;
        opts.backend = backend;
        opts.disable = "multishot_accept,warp_drive";
        auto rt = ringo::Runtime::create(opts);
        REQUIRE_FALSE(rt.has_value());
        INFO(rt.message());
        CHECK(contains(rt.message(), "RuntimeOptions::disable"));
        CHECK(contains(rt.message(), "\"warp_drive\""));
        CHECK(contains(rt.message(), "defer_taskrun"));
    }
    ringo::test::ScopedEnv env("RINGO_DISABLE", "nope");
    auto rt = ringo::Runtime::create();
    REQUIRE_FALSE(rt.has_value());
    INFO(rt.message());
    CHECK(contains(rt.message(), "RINGO_DISABLE=\"nope\""));
    CHECK(contains(rt.message(), "multishot_accept"));
}

TEST_CASE("RINGO_DISABLE=io_uring moves automatic selection to epoll and says why once",
          "[probe][fastpath]") {
    ringo::test::FdLeakCheck fds;
    ringo::test::ScopedEnv backend("RINGO_BACKEND", nullptr);  // automatic must decide
    ringo::test::ScopedEnv env("RINGO_DISABLE", "io_uring");
    LoggedOptions log;
    auto rt = ringo::Runtime::create(log.options());
    REQUIRE(rt.has_value());
    CHECK((*rt)->backend() == ringo::Backend::epoll);
    CHECK(contains((*rt)->fallback_reason(), "disabled"));
    REQUIRE(log.lines.size() == 1);
    CHECK(contains(log.lines[0], "disabled"));
    CHECK((*rt)->fast_paths().empty());
    (*rt)->block_on(echo_once());

    ringo::RuntimeOptions want_uring;
    want_uring.backend = ringo::Backend::uring;
    auto refused = ringo::Runtime::create(want_uring);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error() == ringo::errc::backend_unavailable);
    CHECK(contains(refused.message(), "disabled"));
    // The reason once, then the code's message once: not "...: backend
    // unavailable: backend unavailable".
    const auto msg = refused.message();
    const std::string code_text = refused.error().message();
    CHECK(msg.find(code_text) == msg.size() - code_text.size());
    CHECK(msg.find(code_text) == msg.rfind(code_text));
}

// RINGO_BACKEND (engine/src/backend_factory.cpp) steers Backend::automatic
// only: the harness passes explicit backends, so only these cases walk it.
TEST_CASE("RINGO_BACKEND=epoll makes an automatic runtime run epoll without a fallback line",
          "[probe][backend_env]") {
    ringo::test::FdLeakCheck fds;
    ringo::test::ScopedEnv backend("RINGO_BACKEND", "epoll");
    ringo::test::ScopedEnv disable("RINGO_DISABLE", nullptr);
    LoggedOptions log;
    auto rt = ringo::Runtime::create(log.options());
    REQUIRE(rt.has_value());
    CHECK((*rt)->backend() == ringo::Backend::epoll);
    // A choice, not a fallback: nothing to explain.
    CHECK((*rt)->fallback_reason().empty());
    CHECK(log.lines.empty());
    (*rt)->block_on(echo_once());
    CHECK(log.lines.empty());
}

TEST_CASE("RINGO_BACKEND with an unknown name fails automatic selection and names the value",
          "[probe][backend_env]") {
    ringo::test::ScopedEnv backend("RINGO_BACKEND", "bogus");
    auto rt = ringo::Runtime::create();
    REQUIRE_FALSE(rt.has_value());
    INFO(rt.message());
    CHECK(rt.error() == std::errc::invalid_argument);
    CHECK(contains(rt.message(), "RINGO_BACKEND=\"bogus\""));
    CHECK(contains(rt.message(), "uring, epoll or auto"));

    // An explicit backend never reads the variable.
    ringo::RuntimeOptions opts;
    opts.backend = ringo::Backend::epoll;
    auto explicit_epoll = ringo::Runtime::create(opts);
    REQUIRE(explicit_epoll.has_value());
    CHECK((*explicit_epoll)->backend() == ringo::Backend::epoll);
}

TEST_CASE("RINGO_BACKEND=uring where io_uring cannot run is an error that says why, never a fallback",
          "[probe][backend_env]") {
    ringo::test::FdLeakCheck fds;
    ringo::test::ScopedEnv disable("RINGO_DISABLE", "io_uring");  // unavailable, on any machine
    LoggedOptions log;
    {
        ringo::test::ScopedEnv backend("RINGO_BACKEND", "uring");
        auto rt = ringo::Runtime::create(log.options());
        REQUIRE_FALSE(rt.has_value());
        INFO(rt.message());
        CHECK(rt.error() == ringo::errc::backend_unavailable);
        CHECK(contains(rt.message(), "io_uring"));
        CHECK(contains(rt.message(), "disabled"));
        CHECK(log.lines.empty());
    }
    // auto is automatic selection again: it falls back, and says so once.
    ringo::test::ScopedEnv backend("RINGO_BACKEND", "auto");
    auto rt = ringo::Runtime::create(log.options());
    REQUIRE(rt.has_value());
    CHECK((*rt)->backend() == ringo::Backend::epoll);
    CHECK(log.lines.size() == 1);
}
