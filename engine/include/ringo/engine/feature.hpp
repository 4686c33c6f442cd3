// Feature: the names of what ringo probes for and may use. One namespace
// serves ringo-probe's --require and --list, the RINGO_DISABLE environment
// variable and RuntimeOptions::disable, so a name means the same everywhere.
//
// Some features are engine fast paths: the engine uses them when present and
// takes a plain path when they are missing or disabled. The rest are reported
// for users who want to know what their kernel offers.
#pragma once

#include <ringo/engine/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringo {

enum class Feature : std::uint8_t {
    // io_uring is usable: a ring with the engine's setup flags sets up and
    // nop, accept, connect, send, recv, cancel and close round-trip on it.
    io_uring,
    // Setup flags, each tried alone on a throw-away ring.
    sqpoll,
    coop_taskrun,  // engine fast path: the ring's second ladder step
    taskrun_flag,
    single_issuer,
    defer_taskrun,  // engine fast path: the ring's first ladder step
    submit_all,
    cqsize,
    no_sqarray,
    // Behaviour, each proven by a real round trip on a throw-away ring.
    multishot_accept,  // engine fast path
    multishot_recv,    // engine fast path: read-ahead for borrowed reads
    buf_ring,
    send_zc,
    registered_ring_fd,  // engine fast path
    fixed_files,
    msg_ring,
    recvsend_bundle,
    // engine fast path: a multishot recv ends itself after a byte budget
    // (sqe->optlen, linux 6.17), bounding read-ahead without a cancel.
    multishot_recv_limit,
    // engine fast path: the loop's wait is not counted as iowait
    // (IORING_ENTER_NO_IOWAIT, linux 6.15).
    no_iowait,
    // An engine fast path that needs nothing from the kernel but send(2):
    // try a send in place before queuing it.
    speculative_send,
    // The fallback backend.
    epoll,
    epoll_pwait2,
    count_,
};

inline constexpr std::size_t feature_count = static_cast<std::size_t>(Feature::count_);

// "multishot_accept"; "?" for a value out of range.
const char* feature_name(Feature f) noexcept;
// One line on what it is, for ringo-probe --list.
const char* feature_summary(Feature f) noexcept;
// The first Linux release that has it ("5.19"); "" when it needs none.
const char* feature_since(Feature f) noexcept;
std::optional<Feature> parse_feature(std::string_view name) noexcept;
// Does the engine use it when present, with a plain path when not?
bool is_fast_path(Feature f) noexcept;

// A set of features (a bit per Feature).
class FeatureSet {
public:
    constexpr FeatureSet() noexcept = default;
    // Every engine fast path: what "all" means in RINGO_DISABLE.
    static FeatureSet fast_paths() noexcept;

    constexpr bool has(Feature f) const noexcept { return (bits_ >> bit(f)) & 1; }
    constexpr void add(Feature f) noexcept { bits_ |= std::uint64_t{1} << bit(f); }
    constexpr void remove(Feature f) noexcept { bits_ &= ~(std::uint64_t{1} << bit(f)); }
    constexpr void add(FeatureSet o) noexcept { bits_ |= o.bits_; }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr std::uint64_t bits() const noexcept { return bits_; }
    friend constexpr bool operator==(FeatureSet, FeatureSet) noexcept = default;

private:
    static constexpr unsigned bit(Feature f) noexcept { return static_cast<unsigned>(f); }
    std::uint64_t bits_ = 0;
};

// Parses "a,b,c" (feature names, or "all" for every fast path); blanks
// around names and empty entries are ignored. The error names the unknown
// entry and lists the valid names.
Result<FeatureSet> parse_feature_list(std::string_view list);
// "a,b,c" in Feature order; "" for an empty set.
std::string format_feature_list(FeatureSet set);
// Every valid name, comma separated, for error messages and usage text.
std::string valid_feature_names();

}  // namespace ringo
