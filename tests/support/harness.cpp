#include "harness.hpp"

#include <dirent.h>

#include <cstdlib>
#include <random>

namespace ringo::test {

std::vector<Backend> backends() {
    if (const char* env = std::getenv("RINGO_BACKEND"); env && *env) {
        auto b = parse_backend(env);
        if (b && *b != Backend::automatic) return {*b};
    }
    std::vector<Backend> out;
    for (Backend b : {Backend::uring, Backend::epoll}) {
        RuntimeOptions o;
        o.backend = b;
        if (Runtime::create(o)) out.push_back(b);
    }
    return out;
}

RuntimeOptions options_for(Backend b) {
    RuntimeOptions o;
    o.backend = b;
    return o;
}

int open_fd_count() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
        --n;  // the directory's own fd
    }
    return n;
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng() & 0xff);
    return v;
}

}  // namespace ringo::test
