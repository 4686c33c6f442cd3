// A NOP operation round trip through each backend: io::nop() goes through
// the op pool, Core::start and the backend. On io_uring that is an SQE, one
// io_uring_enter and a CQE per await (the floor of an op that really
// suspends); the epoll backend has no kernel request for a NOP, so it
// measures the engine's own path. A batch of 32 NOPs in flight at once shows
// what one enter costs when shared.
#include "micro_support.hpp"

using namespace ringo;

namespace {

Task<> one_nop(benchmark::State& state) {
    for (auto _ : state) {
        auto r = co_await io::nop();
        if (!r) {
            state.SkipWithError(r.message().c_str());
            break;
        }
    }
}

Task<> nop_task() { (void)co_await io::nop(); }

Task<> batch_nops(benchmark::State& state) {
    std::vector<JoinHandle<void>> hs;
    hs.reserve(32);
    for (auto _ : state) {
        for (int i = 0; i < 32; ++i) hs.push_back(spawn(nop_task()));
        for (auto& h : hs) (void)co_await h;
        hs.clear();
    }
    state.SetItemsProcessed(state.iterations() * 32);
}

void BM_NopRoundTrip(benchmark::State& state, Backend b) { ringo_micro::run_on(state, b, one_nop); }
void BM_NopBatch32(benchmark::State& state, Backend b) { ringo_micro::run_on(state, b, batch_nops); }

}  // namespace

BENCHMARK_CAPTURE(BM_NopRoundTrip, uring, Backend::uring);
BENCHMARK_CAPTURE(BM_NopRoundTrip, epoll, Backend::epoll);
BENCHMARK_CAPTURE(BM_NopBatch32, uring, Backend::uring);
BENCHMARK_CAPTURE(BM_NopBatch32, epoll, Backend::epoll);
BENCHMARK_MAIN();
