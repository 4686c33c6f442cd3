// Timer arm + cancel: with_timeout around work that finishes at once arms a
// deadline in the runtime's timer heap and removes it again, which is what
// every bounded operation that succeeds in time pays. Measured with 0 and
// with 1000 other timers pending (the heap's depth), next to the plain
// awaited task it wraps, so the difference is the timer.
#include "micro_support.hpp"

#include <chrono>

using namespace ringo;
using namespace std::chrono_literals;

namespace {

Task<int> ready(int v) { co_return v; }

Task<> sleeper() { (void)co_await sleep_for(1h); }

Task<> arm_cancel(benchmark::State& state) {
    // Other timers pending, far in the future, so the heap has depth.
    std::vector<JoinHandle<void>> others;
    for (int i = 0; i < state.range(0); ++i) others.push_back(spawn(sleeper()));
    (void)co_await sleep_for(0ms);  // let them arm
    int v = 0;
    for (auto _ : state) {
        auto r = co_await with_timeout(1h, ready(v));
        v = *r;
    }
    benchmark::DoNotOptimize(v);
    for (auto& h : others) h.cancel();
    for (auto& h : others) (void)co_await h;
}

Task<> no_timer(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) v = co_await ready(v);
    benchmark::DoNotOptimize(v);
}

void BM_TimerArmCancel(benchmark::State& state) { ringo_micro::run_on(state, Backend::epoll, arm_cancel); }
void BM_SameWithoutTimer(benchmark::State& state) { ringo_micro::run_on(state, Backend::epoll, no_timer); }

}  // namespace

BENCHMARK(BM_TimerArmCancel)->Arg(0)->Arg(1000)->ArgName("pending");
BENCHMARK(BM_SameWithoutTimer);
BENCHMARK_MAIN();
