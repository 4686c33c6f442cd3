// Task create + resume: the cost of calling and awaiting a coroutine that
// completes without suspending (the synchronous path: frame from the
// per-thread cache, resume inside await_suspend, no trip through the loop).
#include "micro_support.hpp"

using namespace ringo;

namespace {

Task<> empty_task() { co_return; }
Task<int> value_task(int v) { co_return v + 1; }

Task<> await_empty(benchmark::State& state) {
    for (auto _ : state) co_await empty_task();
}

Task<> await_value(benchmark::State& state) {
    int v = 0;
    for (auto _ : state) v = co_await value_task(v);
    benchmark::DoNotOptimize(v);
}

// Ten levels deep: what a chain of small helper coroutines costs per level.
Task<int> nested(int depth) {
    if (depth == 0) co_return 0;
    co_return 1 + co_await nested(depth - 1);
}

Task<> await_nested(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(co_await nested(10));
}

void BM_TaskCreateResume(benchmark::State& state) { ringo_micro::run_on(state, Backend::epoll, await_empty); }
void BM_TaskCreateResumeValue(benchmark::State& state) { ringo_micro::run_on(state, Backend::epoll, await_value); }
void BM_TaskNested10(benchmark::State& state) { ringo_micro::run_on(state, Backend::epoll, await_nested); }

}  // namespace

BENCHMARK(BM_TaskCreateResume);
BENCHMARK(BM_TaskCreateResumeValue);
BENCHMARK(BM_TaskNested10);
BENCHMARK_MAIN();
