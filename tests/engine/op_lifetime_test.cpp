// Op lifetime: a coroutine frame destroyed while its op is in flight
// (the classic io_uring use-after-free). The engine must cancel the op and
// wait for the kernel before the frame, and the buffer in it, are gone; an
// fd produced by an abandoned accept must be closed. Run under ASan to
// catch a kernel write into freed memory.
#include "fd_message.hpp"
#include "harness.hpp"

#include <cstring>

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <netinet/in.h>

using namespace std::chrono_literals;
using ringo::Task;

namespace {

// A coroutine that starts eagerly and is destroyed by hand: the only way to
// get a frame destroyed mid-op through the public API alone is a task that
// is still suspended when its owner goes away.
struct Eager {
    struct promise_type {
        Eager get_return_object() { return {std::coroutine_handle<promise_type>::from_promise(*this)}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() { std::terminate(); }
    };
    std::coroutine_handle<promise_type> h;
};

Eager recv_into_frame(int fd, bool& resumed) {
    std::array<std::byte, 4096> buf{};  // lives in the frame the test destroys
    auto r = co_await ringo::io::recv(fd, buf);
    (void)r;
    resumed = true;
}

Eager accept_into_frame(int fd, bool& resumed) {
    auto r = co_await ringo::io::accept(fd);
    if (r) ::close(*r);
    resumed = true;
}

// A recvmsg of an FdMessage, all of it in the frame.
Eager recvmsg_into_frame(int fd, bool& resumed) {
    ringo::test::FdMessage msg;
    auto r = co_await ringo::io::recvmsg(fd, &msg.msg);
    resumed = true;  // the test destroys the frame before this runs
    if (r && msg.fd() >= 0) ::close(msg.fd());
}

// Sends a fresh eventfd and closes the sender's copy: the receiver's table
// gets a new fd for it.
void send_fresh_fd(int sock) {
    int passed = ::eventfd(0, EFD_CLOEXEC);
    REQUIRE(passed >= 0);
    ringo::test::send_fd(sock, passed);
    ::close(passed);
}

struct Fd {
    int fd;
    explicit Fd(int f) : fd(f) { REQUIRE(fd >= 0); }
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

struct Pair {
    int a = -1, b = -1;
    Pair() {
        auto p = ringo::test::socket_pair();
        a = p.a;
        b = p.b;
    }
    ~Pair() {
        ::close(a);
        ::close(b);
    }
};

}  // namespace

TEST_CASE("destroying a frame with a recv in flight cancels it before the buffer goes", "[engine][lifetime]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    Pair p;
    ringo::test::run(backend, [&]() -> Task<> {
        for (int round = 0; round < 50; ++round) {
            bool resumed = false;
            auto e = recv_into_frame(p.a, resumed);
            co_await ringo::io::nop();  // the recv is now with the kernel
            e.h.destroy();              // frame and buffer go while it waits
            // The engine waited out the kernel: the recv is over, not just asked to stop.
            auto st = ringo::Runtime::current()->stats();
            REQUIRE(st.total_submitted() == st.total_completed());
            // Data arriving now must not land in the freed frame: all of it
            // is still in the socket for the next reader.
            char data[64];
            std::memset(data, round, sizeof data);
            REQUIRE(::write(p.b, data, sizeof data) == sizeof data);
            co_await ringo::io::nop();
            CHECK_FALSE(resumed);
            char drain[sizeof data + 1];
            REQUIRE(::read(p.a, drain, sizeof drain) == static_cast<ssize_t>(sizeof data));
            CHECK(std::memcmp(drain, data, sizeof data) == 0);
        }
    });
}

TEST_CASE("an abandoned accept closes the connection it got too late", "[engine][lifetime]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    auto multishot = GENERATE(true, false);
    auto opts = ringo::test::options_for(backend);
    opts.multishot_accept = multishot;
    sockaddr_in a{};
    Fd l(ringo::test::tcp_listener(a));
    socklen_t len = sizeof a;
    ringo::test::run(backend, [&]() -> Task<> {
        for (int round = 0; round < 20; ++round) {
            bool resumed = false;
            // Queued (io_uring), parked (epoll), or served at once from a
            // connection a multishot accept already took.
            auto e = accept_into_frame(l.fd, resumed);
            Fd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
            REQUIRE(::connect(c.fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
            // The accept may complete with a new fd before the cancel lands:
            // the engine must close it, or the fd check below fails.
            e.h.destroy();
            co_await ringo::io::nop();  // let the loop reap what the kernel did
        }
        // Connections a multishot accept queued for nobody close with the listener.
        co_await ringo::io::close(l.release());
    }, opts);
}

TEST_CASE("runtime shutdown with ops in flight drains them and frees everything", "[engine][lifetime]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    Pair p;
    auto opts = ringo::test::options_for(backend);
    ringo::Stats stats;
    {
        ringo::Runtime rt(opts);
        rt.block_on([&]() -> Task<> {
            for (int i = 0; i < 8; ++i) {
                ringo::spawn([](int fd) -> Task<> {
                    std::array<std::byte, 128> buf;
                    (void)co_await ringo::io::recv(fd, buf);
                }(p.a)).detach();
                ringo::spawn([]() -> Task<> { (void)co_await ringo::sleep_for(1h); }()).detach();
            }
            co_await ringo::io::nop();
        }());  // returns only after every detached task unwound
        stats = rt.stats();
    }
    CHECK(stats.total_submitted() == stats.total_completed());
}

// Fds that arrive in a control message are as much the op's result as an
// accepted connection: when nobody will read the result, the engine closes
// them (an abandoned op, or a completed one whose frame is destroyed before
// it resumes).
TEST_CASE("an abandoned recvmsg closes the fds it received", "[engine][lifetime][msg]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    Pair p;
    ringo::test::run(backend, [&]() -> Task<> {
        for (int round = 0; round < 20; ++round) {
            bool resumed = false;
            const int before = ringo::test::open_fd_count();
            // Queued (io_uring: its entry is not submitted yet) or parked (epoll).
            auto e = recvmsg_into_frame(p.a, resumed);
            send_fresh_fd(p.b);
            // io_uring submits the recvmsg ahead of its cancel: it takes the
            // message and the fd, and completes for nobody.
            e.h.destroy();
            co_await ringo::io::nop();
            CHECK_FALSE(resumed);
            // On epoll the parked recvmsg was cancelled: the message is still
            // queued; drain it so every round starts empty.
            ringo::test::FdMessage left;
            if (::recvmsg(p.a, &left.msg, MSG_DONTWAIT) == 1 && left.fd() >= 0) ::close(left.fd());
            CHECK(ringo::test::open_fd_count() == before);
        }
    });
}

TEST_CASE("a recvmsg completed for a frame destroyed before it resumed closes the fds it received",
          "[engine][lifetime][msg]") {
    ringo::test::FdLeakCheck fds;
    auto backend = GENERATE(from_range(ringo::test::backends()));
    Pair p, q;
    int discarded = 0;
    ringo::test::run(backend, [&]() -> Task<> {
        for (int round = 0; round < 40; ++round) {
            bool resumed = false;
            const int before = ringo::test::open_fd_count();
            auto e = recvmsg_into_frame(p.a, resumed);
            co_await ringo::io::nop();  // the recvmsg is with the kernel, and finds nothing yet
            // Another task wakes this one and sends the fd message, so that
            // both completions come in one kernel wait, this task's first:
            // it then runs with the recvmsg done and its frame not resumed.
            // Which comes first is the kernel's choice, so two ways are
            // tried: a byte on q read here (epoll's ready list is in
            // arrival order), and a nop submitted after the send (io_uring
            // posts it at submission, before deferred task work).
            const bool by_nop = round % 2 == 1;
            ringo::spawn([](int wake, int msg) -> Task<> {
                char x = 'w';
                REQUIRE(::write(wake, &x, 1) == 1);
                send_fresh_fd(msg);
                co_return;
            }(q.b, p.b)).detach();
            std::array<std::byte, 1> buf;
            bool woke = false;
            if (by_nop) {
                (void)co_await ringo::yield();  // the sender runs
                woke = (co_await ringo::io::nop()).has_value();
            } else {
                woke = (co_await ringo::io::recv(q.a, buf)).has_value();
            }
            const bool frame_first = resumed;
            e.h.destroy();  // before any REQUIRE: a frame left with an op in flight would hang the drain
            if (by_nop) woke = woke && (co_await ringo::io::recv(q.a, buf)).has_value();
            REQUIRE(woke);
            if (!frame_first) ++discarded;
            INFO("round " << round << " by_nop " << by_nop << " frame_first " << frame_first);
            CHECK(ringo::test::open_fd_count() == before);
        }
    });
    INFO("rounds where the frame was destroyed with its recvmsg done: " << discarded);
    CHECK(discarded > 0);  // else this test proved nothing here
}
