// IORING_ENTER_NO_IOWAIT (Feature::no_iowait, linux 6.15): an io_uring
// runtime blocked in the kernel with ops in flight is not counted as
// iowait on its CPU, where without the flag the kernel counts the whole
// wait (the complaint of liburing#943: an idle server "at 100% iowait").
// Measured from /proc/stat on the CPU the test pins itself to. Where the
// kernel does not count such waits even without the flag (or other
// programs keep that CPU busy, so it is never idle), the control shows it
// and the case says so instead of passing on nothing.
#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/probe.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <sched.h>
#include <unistd.h>

using namespace std::chrono_literals;
using ringo::Task;

namespace {

// The iowait ticks (USER_HZ) /proc/stat has for one CPU.
long iowait_ticks(int cpu) {
    std::ifstream f("/proc/stat");
    std::string line;
    const std::string want = "cpu" + std::to_string(cpu) + " ";
    while (std::getline(f, line)) {
        if (line.rfind(want, 0) != 0) continue;
        std::istringstream in(line.substr(want.size()));
        long user, nice, system, idle, iowait;
        if (in >> user >> nice >> system >> idle >> iowait) return iowait;
    }
    return -1;
}

// Pins the calling thread to the CPU it is on, and back at scope exit.
class Pinned {
public:
    Pinned() {
        ::sched_getaffinity(0, sizeof old_, &old_);
        cpu_ = ::sched_getcpu();
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu_, &one);
        ::sched_setaffinity(0, sizeof one, &one);
    }
    ~Pinned() { ::sched_setaffinity(0, sizeof old_, &old_); }
    int cpu() const noexcept { return cpu_; }

private:
    cpu_set_t old_{};
    int cpu_ = 0;
};

struct Waited {
    long ticks = -1;         // the least of the tries: other programs' iowait only adds
    bool flag_used = false;  // the runtime used no_iowait
};

// Iowait ticks on cpu while a runtime with `disable` waits 400 ms in the
// kernel with a recv in flight.
Waited iowait_during_wait(int cpu, const char* disable, int tries) {
    Waited w;
    for (int i = 0; i < tries; ++i) {
        auto pair = ringo::test::socket_pair();
        auto opts = ringo::test::options_for(ringo::Backend::uring);
        opts.disable = disable;
        long before = 0, after = 0;
        bool flag_used = false;
        ringo::test::run(
            ringo::Backend::uring,
            [&]() -> Task<> {
                flag_used = ringo::Runtime::current()->fast_paths().has(ringo::Feature::no_iowait);
                ringo::io::opened(pair.a);
                char byte = 0;
                auto pending = ringo::spawn([](int fd, char& b) -> Task<> {
                    (void)co_await ringo::io::recv(fd, std::as_writable_bytes(std::span(&b, 1)));
                }(pair.a, byte));
                co_await ringo::yield();  // the recv is in the kernel now
                before = iowait_ticks(cpu);
                (void)co_await ringo::sleep_for(400ms);
                after = iowait_ticks(cpu);
                REQUIRE(::write(pair.b, "x", 1) == 1);
                (void)co_await pending;
            },
            opts);
        ::close(pair.a);
        ::close(pair.b);
        w.flag_used = flag_used;
        const long d = after - before;
        if (w.ticks < 0 || d < w.ticks) w.ticks = d;
    }
    return w;
}

}  // namespace

TEST_CASE("an io_uring runtime waiting in the kernel is not counted as iowait", "[engine][iowait]") {
    const auto b = ringo::test::backends();
    if (std::find(b.begin(), b.end(), ringo::Backend::uring) == b.end()) {
        SUCCEED("io_uring does not run here (or RINGO_BACKEND names another backend)");
        return;
    }
    if (!ringo::probe().has(ringo::Feature::no_iowait)) {
        SUCCEED("the kernel has no IORING_ENTER_NO_IOWAIT (linux 6.15)");
        return;
    }
    ringo::test::FdLeakCheck fds;
    Pinned pin;
    REQUIRE(iowait_ticks(pin.cpu()) >= 0);
    // 400 ms is 40 ticks at USER_HZ 100.
    const Waited without = iowait_during_wait(pin.cpu(), "no_iowait", 1);
    CHECK_FALSE(without.flag_used);
    INFO("iowait ticks during a 400 ms wait: " << without.ticks << " without the flag");
    if (without.ticks < 20) {
        SUCCEED("this kernel (or a busy CPU) does not count the wait as iowait even without the flag");
        return;
    }
    const Waited with = iowait_during_wait(pin.cpu(), "", 3);
    if (!with.flag_used) {
        SUCCEED("no_iowait is disabled here (RINGO_DISABLE)");
        return;
    }
    INFO(with.ticks << " with it");
    CHECK(with.ticks <= 5);
}
