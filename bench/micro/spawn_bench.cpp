// spawn + join: a task handed to the scheduler and awaited. Unlike a plain
// co_await, the spawned task starts on the next loop turn, so this is the
// cost of a trip through the ready queue and one loop turn (which enters
// the kernel only if something is queued for it: here, nothing).
#include "micro_support.hpp"

using namespace ringo;

namespace {

Task<> nothing() { co_return; }

Task<> spawn_join(benchmark::State& state) {
    for (auto _ : state) {
        auto h = spawn(nothing());
        (void)co_await h;
    }
}

// A batch of 64 spawned before the first join: the queue, not the turn.
Task<> spawn_join_batch(benchmark::State& state) {
    std::vector<JoinHandle<void>> hs;
    hs.reserve(64);
    for (auto _ : state) {
        for (int i = 0; i < 64; ++i) hs.push_back(spawn(nothing()));
        for (auto& h : hs) (void)co_await h;
        hs.clear();
    }
    state.SetItemsProcessed(state.iterations() * 64);
}

void BM_SpawnJoin(benchmark::State& state, Backend b) { ringo_micro::run_on(state, b, spawn_join); }
void BM_SpawnJoinBatch64(benchmark::State& state, Backend b) { ringo_micro::run_on(state, b, spawn_join_batch); }

}  // namespace

BENCHMARK_CAPTURE(BM_SpawnJoin, uring, Backend::uring);
BENCHMARK_CAPTURE(BM_SpawnJoin, epoll, Backend::epoll);
BENCHMARK_CAPTURE(BM_SpawnJoinBatch64, uring, Backend::uring);
BENCHMARK_CAPTURE(BM_SpawnJoinBatch64, epoll, Backend::epoll);
BENCHMARK_MAIN();
