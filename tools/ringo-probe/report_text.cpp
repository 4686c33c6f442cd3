#include "report_text.hpp"

#include <cstdlib>
#include <cstring>

namespace ringo_probe {

using ringo::Feature;

Group group_of(Feature f) noexcept {
    switch (f) {
    case Feature::io_uring: return Group::io_uring;
    case Feature::sqpoll:
    case Feature::coop_taskrun:
    case Feature::taskrun_flag:
    case Feature::single_issuer:
    case Feature::defer_taskrun:
    case Feature::submit_all:
    case Feature::cqsize:
    case Feature::no_sqarray: return Group::setup_flag;
    case Feature::epoll:
    case Feature::epoll_pwait2: return Group::epoll;
    default: return Group::behaviour;
    }
}

std::string errno_name(int err) {
    if (err == 0) return "";
    if (const char* n = strerrorname_np(err)) return n;
    return "errno " + std::to_string(err);
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::string setup_flags_text(unsigned flags) {
    return flags == 0 ? "none" : join(ringo::uring_setup_flag_names(flags), "|");
}

std::string bytes_text(std::uint64_t v) {
    if (v == ringo::Limit::unlimited) return "unlimited";
    if (v >= (1u << 20) && v % (1u << 20) == 0) return std::to_string(v >> 20) + " MiB";
    if (v >= 1024 && v % 1024 == 0) return std::to_string(v >> 10) + " KiB";
    return std::to_string(v) + " bytes";
}

const char* backend_override() {
    const char* env = std::getenv("RINGO_BACKEND");
    if (!env || !*env || std::strcmp(env, "auto") == 0 || std::strcmp(env, "automatic") == 0) return nullptr;
    return env;
}

const char* backend_text(ringo::Backend b) noexcept {
    return b == ringo::Backend::uring ? "io_uring" : "epoll";
}

bool available(const ringo::ProbeReport& r, Feature f) noexcept { return r.has(f); }

std::string why_missing(const ringo::ProbeReport& r, Feature f) {
    if (r.disabled.has(f)) return "disabled by RINGO_DISABLE";
    const std::string& d = r.status(f).detail;
    return d.empty() ? "not supported here" : d;
}

}  // namespace ringo_probe
