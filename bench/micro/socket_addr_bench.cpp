// SocketAddr parsing: the literal forms parse() takes, and to_string() back.
// No runtime, no network: pure text handling.
#include <ringo/net/socket_addr.hpp>

#include <benchmark/benchmark.h>

#include <string_view>

namespace {

void parse(benchmark::State& state, std::string_view text) {
    for (auto _ : state) {
        auto a = ringo::net::SocketAddr::parse(text);
        benchmark::DoNotOptimize(a);
    }
}

void BM_ParseV4(benchmark::State& state) { parse(state, "127.0.0.1:8080"); }
void BM_ParseV6(benchmark::State& state) { parse(state, "[2001:db8::42]:8080"); }
void BM_ParseV6Scoped(benchmark::State& state) { parse(state, "[fe80::1%2]:80"); }
void BM_ParseInvalid(benchmark::State& state) { parse(state, "1.2.3.4:99999"); }

void BM_ToStringV4(benchmark::State& state) {
    auto a = ringo::net::SocketAddr::v4_loopback(8080);
    for (auto _ : state) benchmark::DoNotOptimize(a.to_string());
}

}  // namespace

BENCHMARK(BM_ParseV4);
BENCHMARK(BM_ParseV6);
BENCHMARK(BM_ParseV6Scoped);
BENCHMARK(BM_ParseInvalid);
BENCHMARK(BM_ToStringV4);
BENCHMARK_MAIN();
