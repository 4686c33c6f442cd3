// io_uring denied by a seccomp filter, as container runtimes deny it
// (Docker >= 25 and containerd >= 2.0 answer EPERM; Podman and CRI-O,
// ENOSYS). Each case runs in a forked child, which installs the filter
// (libseccomp) and reports through its exit status and a pipe
// (child.hpp), so the test process keeps its io_uring:
//
// - the probe reports io_uring unavailable, names the filter, and its
//   verdict is epoll, for EPERM and for ENOSYS;
// - Backend::automatic then runs on epoll, says why once through
//   RuntimeOptions::log, and serves an echo over loopback byte-exact;
// - an explicit Backend::uring is an error that names the filter;
// the last two, too, for EPERM and for ENOSYS.
//
// These cases are about choosing a backend, so they cannot run once per
// backend as the I/O tests do; the echo inside runs on the epoll backend
// the choice lands on.
#include "child.hpp"
#include "harness.hpp"

#include <ringo/engine/probe.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

using ringo::Task;
using ringo::net::SocketAddr;
using ringo::net::TcpListener;
using ringo::net::TcpStream;

namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// Expectations inside a child, where Catch2 must not run: each failure is a
// line of output, and any failure makes the exit code 1.
class Expect {
public:
    explicit Expect(std::string& out) : out_(out) {}
    void operator()(bool ok, const std::string& what) {
        if (ok) return;
        ++failures_;
        out_ += "FAILED: " + what + "\n";
    }
    int exit_code() const { return failures_ == 0 ? 0 : 1; }

private:
    std::string& out_;
    int failures_ = 0;
};

// The child starts from a clean slate: io_uring denied, automatic selection
// left to decide, nothing disabled by the caller's environment.
bool enter_denied_sandbox(int err, std::string& out) {
    ::unsetenv("RINGO_BACKEND");
    ::unsetenv("RINGO_DISABLE");
    if (int r = ringo::test::deny_io_uring(err); r != 0) {
        out += "could not install the seccomp filter: " + std::to_string(r) + "\n";
        return false;
    }
    return true;
}

// One echo over loopback on the current runtime; false (and a line in
// out) on any difference.
Task<bool> echo_round_trip(std::string& out) {
    auto l = TcpListener::bind(SocketAddr::v4_loopback(0));
    if (!l) {
        out += "bind: " + l.message() + "\n";
        co_return false;
    }
    auto addr = l->local_addr();
    if (!addr) co_return false;
    auto server = ringo::spawn([](TcpListener& listener) -> Task<bool> {
        auto c = co_await listener.accept();
        if (!c) co_return false;
        std::array<char, 11> buf{};
        auto got = co_await c->read_exact(buf);
        // No co_await inside ?: (g++ 12 mishandles the temporaries of the
        // branches), so an if.
        bool sent = false;
        if (got) {
            auto w = co_await c->write_all(std::string_view(buf.data(), buf.size()));
            sent = w.has_value();
        }
        co_await c->close();
        co_return got.has_value() && sent;
    }(*l));
    auto c = co_await TcpStream::connect(*addr);
    if (!c) {
        out += "connect: " + c.message() + "\n";
        co_return false;
    }
    auto sent = co_await c->write_all(std::string_view("hello ringo"));
    std::array<char, 11> back{};
    auto got = co_await c->read_exact(back);
    co_await c->close();
    auto served = co_await server;
    bool same = got && std::string_view(back.data(), back.size()) == "hello ringo";
    if (!same) out += "echo: the bytes that came back differ\n";
    co_return sent&& same&& served&&* served;
}

// In a child: deny io_uring with err, probe, and check the report.
int probe_denied(int err, std::string& out) {
    if (!enter_denied_sandbox(err, out)) return 2;
    const ringo::ProbeReport& r = ringo::probe();
    Expect expect(out);
    out += "reason: " + r.uring.reason + "\n";
    expect(!r.uring.usable, "io_uring reported usable");
    expect(r.uring.setup_error == err, "setup_error is " + std::to_string(r.uring.setup_error));
    expect(contains(r.uring.reason, "seccomp"), "the reason does not name seccomp");
    expect(r.sandbox.seccomp_mode == 2, "Seccomp: " + std::to_string(r.sandbox.seccomp_mode));
    // The filter answers io_uring_enter too, before the kernel could say EBADF.
    expect(r.sandbox.enter_error == err, "io_uring_enter(-1) gave " + std::to_string(r.sandbox.enter_error));
    expect(!r.status(ringo::Feature::io_uring).supported, "feature io_uring supported");
    expect(r.verdict.backend == ringo::Backend::epoll, "verdict is not epoll");
    expect(r.verdict.reason == r.uring.reason, "verdict reason differs");
    expect(r.verdict.used().empty(), "the verdict uses io_uring fast paths");
    expect(r.status(ringo::Feature::epoll).supported, "epoll missing");
    return expect.exit_code();
}

// In a child: deny io_uring with err, then check that automatic selection
// lands on epoll, says why once through the log hook, and serves an echo;
// and that asking for io_uring explicitly is an error naming the filter.
int serve_denied(int err, std::string& out) {
    if (!enter_denied_sandbox(err, out)) return 2;
    Expect expect(out);
    std::vector<std::string> lines;
    ringo::RuntimeOptions opts;
    opts.log = [&](std::string_view line) { lines.emplace_back(line); };
    {
        auto rt = ringo::Runtime::create(opts);
        expect(rt.has_value(), "automatic selection failed: " + rt.message());
        if (!rt) return expect.exit_code();
        expect((*rt)->backend() == ringo::Backend::epoll, "backend is not epoll");
        expect(contains((*rt)->fallback_reason(), "seccomp"),
               "fallback reason: " + (*rt)->fallback_reason());
        expect(lines.size() == 1, "log called " + std::to_string(lines.size()) + " times");
        if (!lines.empty()) {
            out += "log: " + lines[0] + "\n";
            expect(contains(lines[0], "seccomp"), "the log line does not name seccomp");
        }
        bool echoed = (*rt)->block_on(echo_round_trip(out));
        expect(echoed, "the echo over loopback failed");
    }
    ringo::RuntimeOptions want_uring;
    want_uring.backend = ringo::Backend::uring;
    auto refused = ringo::Runtime::create(want_uring);
    expect(!refused.has_value(), "explicit io_uring was created");
    if (!refused) {
        out += "explicit: " + refused.message() + "\n";
        expect(refused.error() == ringo::errc::backend_unavailable, "error is not backend_unavailable");
        expect(contains(refused.message(), "seccomp"), "the error does not name seccomp");
    }
    return expect.exit_code();
}

}  // namespace

TEST_CASE("a seccomp filter answering EPERM makes the probe name it and pick epoll", "[probe][seccomp]") {
    auto child = ringo::test::run_in_child([](std::string& out) { return probe_denied(EPERM, out); });
    INFO(child.output);
    CHECK(child.exit_code == 0);
    CHECK(contains(child.output, "EPERM"));
}

TEST_CASE("a seccomp filter answering ENOSYS makes the probe name it and pick epoll", "[probe][seccomp]") {
    auto child = ringo::test::run_in_child([](std::string& out) { return probe_denied(ENOSYS, out); });
    INFO(child.output);
    CHECK(child.exit_code == 0);
    CHECK(contains(child.output, "ENOSYS"));
}

TEST_CASE("with io_uring denied, automatic selection serves on epoll and explicit io_uring says why",
          "[probe][seccomp]") {
    // Both answers container runtimes give: Docker and containerd EPERM,
    // Podman and CRI-O ENOSYS.
    const int err = GENERATE(EPERM, ENOSYS);
    INFO("io_uring_setup answers " << (err == EPERM ? "EPERM" : "ENOSYS"));
    ringo::test::FdLeakCheck fds;  // the pipe to the child is closed again
    auto child = ringo::test::run_in_child([err](std::string& out) { return serve_denied(err, out); });
    INFO(child.output);
    CHECK(child.exit_code == 0);
    CHECK(contains(child.output, "log: ringo: io_uring unavailable, using epoll"));
    CHECK(contains(child.output, err == EPERM ? "EPERM" : "ENOSYS"));
}
