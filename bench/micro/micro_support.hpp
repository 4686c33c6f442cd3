// What the micro-benchmarks share: running a benchmark body as a coroutine
// inside a fresh Runtime on a chosen backend. Google Benchmark's loop
// (`for (auto _ : state)`) runs inside the task, so each iteration awaits
// the thing measured exactly as user code would.
#pragma once

#include <ringo/ringo.hpp>

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

namespace ringo_micro {

// Runs body(state), a Task<>, on a runtime of that backend; a backend that
// cannot run here skips the benchmark with the reason.
template <class Body>
void run_on(benchmark::State& state, ringo::Backend backend, Body body) {
    ringo::RuntimeOptions o;
    o.backend = backend;
    o.log = [](std::string_view) {};
    auto rt = ringo::Runtime::create(o);
    if (!rt) {
        state.SkipWithError(rt.message().c_str());
        return;
    }
    state.SetLabel((*rt)->backend_name());
    (*rt)->block_on(body(state));
}

}  // namespace ringo_micro
