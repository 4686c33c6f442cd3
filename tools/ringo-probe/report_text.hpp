// Wording shared by ringo-probe's output formats, so the human report, the
// JSON and the C header say the same thing the same way.
#pragma once

#include <ringo/engine/probe.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringo_probe {

// The groups features are shown in (the order of enum Feature within each).
enum class Group { io_uring, setup_flag, behaviour, epoll };
Group group_of(ringo::Feature f) noexcept;

// "EPERM"; "" for 0.
std::string errno_name(int err);
std::string join(const std::vector<std::string>& items, std::string_view sep);
// "SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL|CQSIZE"; "none" for 0.
std::string setup_flags_text(unsigned flags);
// "8 MiB"; "unlimited".
std::string bytes_text(std::uint64_t v);
// RINGO_BACKEND when set to something other than auto: it overrides the
// verdict for every runtime left on Backend::automatic. nullptr otherwise.
const char* backend_override();
// "io_uring" / "epoll", the names the verdict uses everywhere.
const char* backend_text(ringo::Backend b) noexcept;

// Present for --require: supported and not disabled. When not, why.
bool available(const ringo::ProbeReport& r, ringo::Feature f) noexcept;
std::string why_missing(const ringo::ProbeReport& r, ringo::Feature f);

}  // namespace ringo_probe
