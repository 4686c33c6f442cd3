// Replays a fuzz target over its corpus without libFuzzer, so that g++
// builds (which have no libFuzzer) run every seed and every kept input as a
// regression test, in the ASan pass too. A broken property aborts, which
// meson reports as a failure; the input's name is printed before it runs.
//
// Usage: <name>_fuzz_regress PATH... (files, or directories of files)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional, as in libFuzzer: a target that defines it gets it called once.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(const fs::path& p) {
    std::vector<fs::path> out;
    if (!fs::is_directory(p)) return {p};
    for (const auto& entry : fs::directory_iterator(p))
        if (entry.is_regular_file()) out.push_back(entry.path());
    std::sort(out.begin(), out.end());  // the same order on every run
    return out;
}

bool run_one(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", p.c_str());
        return false;
    }
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::printf("%s (%zu bytes)\n", p.c_str(), bytes.size());
    std::fflush(stdout);  // named before a crash can hide it
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    std::size_t ran = 0;
    for (int i = 1; i < argc; ++i) {
        std::error_code ec;
        if (!fs::exists(argv[i], ec)) {
            std::fprintf(stderr, "no such corpus: %s\n", argv[i]);
            return 1;
        }
        for (const auto& p : inputs_of(argv[i])) {
            if (!run_one(p)) return 1;
            ++ran;
        }
    }
    // An empty corpus would pass while testing nothing.
    if (ran == 0) {
        std::fprintf(stderr, "usage: %s PATH...: no inputs found\n", argv[0]);
        return 1;
    }
    std::printf("%zu inputs, every property held\n", ran);
    return 0;
}
