// ringo::probe(): what this kernel and sandbox offer ringo, found by trying
// it, and what the engine will do about it. One source of truth: every
// Runtime, the ringo-probe tool and user code read the same report.
//
// - Probed once per process, on first use (a few milliseconds; std::call_once).
//   A forked child probes again on its first use: its sandbox may differ
//   (a seccomp filter installed after fork, say).
// - Facts come from real attempts, not from version numbers: the engine's
//   own ring setup, round trips of the ops the engine needs over loopback,
//   and one throw-away ring per optional behaviour.
// - Kernel-free: no liburing or epoll header here. Flags are plain integers
//   (IORING_SETUP_*, IORING_FEAT_*), with functions that name them.
#pragma once

#include <ringo/engine/feature.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/runtime_options.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ringo {

struct FeatureStatus {
    bool supported = false;
    int error = 0;       // errno that said no (0: none)
    std::string detail;  // why not, in words; empty when supported
};

// One attempt of the ops the engine needs, on the ring the engine would use.
struct RoundTrip {
    std::string op;    // "nop", "accept", "connect", "send", "recv", "cancel", "close"
    bool ran = false;  // false: an earlier step failed, so it was not tried
    int error = 0;     // errno it failed with (ETIME: no completion within a second)
    bool ok() const noexcept { return ran && error == 0; }
};

struct UringReport {
    bool usable = false;  // the ring set up and every round trip passed
    int setup_error = 0;  // errno of the last ladder step when no step set up
    std::string reason;   // why not usable, in words; empty when usable
    struct Step {
        unsigned flags = 0;  // IORING_SETUP_* tried
        int error = 0;       // 0: it set up
    };
    std::vector<Step> ladder;  // the engine's ring setup ladder, each step tried
    unsigned setup_flags = 0;  // the step that set up
    std::vector<RoundTrip> round_trips;
    std::uint32_t feature_flags = 0;  // IORING_FEAT_* the kernel reported
    struct Opcode {
        std::uint8_t code = 0;
        bool supported = false;
        bool used_by_ringo = false;
    };
    std::vector<Opcode> opcodes;  // every opcode up to the kernel's last (io_uring_get_probe_ring)
};

// Evidence for why io_uring_setup failed: EPERM and ENOSYS each have
// several causes, told apart only together.
struct SandboxReport {
    int io_uring_disabled = -1;      // sysctl kernel.io_uring_disabled; -1: absent (linux < 6.6)
    long io_uring_group = -1;        // sysctl kernel.io_uring_group; -1: none or absent
    bool in_io_uring_group = false;  // this process's gids include it
    int seccomp_mode = -1;           // "Seccomp:" of /proc/self/status: 0 off, 1 strict, 2 filter
    int seccomp_filters = -1;        // "Seccomp_filters:"; -1: not shown
    // errno of io_uring_enter(-1, ...): EBADF means a real kernel looked at
    // the fd; EPERM or ENOSYS mean something answered before it (a filter).
    int enter_error = 0;
};

struct Limit {
    static constexpr std::uint64_t unlimited = UINT64_MAX;
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
};

struct EpollReport {
    bool available = false;
    int error = 0;        // errno of epoll_create1 when unavailable
    bool pwait2 = false;  // epoll_pwait2 exists (linux 5.11)
};

// What the engine does with the facts: the backend Backend::automatic
// picks, and each fast path it will use or why not.
struct FastPathChoice {
    Feature feature = Feature::io_uring;
    bool used = false;
    std::string reason;  // why not; empty when used
};

struct Verdict {
    Backend backend = Backend::epoll;        // uring or epoll, never automatic
    std::string reason;                      // why that backend
    unsigned setup_flags = 0;                // IORING_SETUP_* of the engine's ring (io_uring)
    std::vector<FastPathChoice> fast_paths;  // every engine fast path, in Feature order
    FeatureSet used() const noexcept;
};

struct ProbeReport {
    std::string kernel_release;  // uname -r
    std::string machine;         // uname -m
    std::string ringo_version;
    std::string liburing_version;  // of the headers ringo was built with
    UringReport uring;
    SandboxReport sandbox;
    Limit memlock;  // RLIMIT_MEMLOCK, bytes
    Limit nofile;   // RLIMIT_NOFILE
    EpollReport epoll;
    std::array<FeatureStatus, feature_count> features{};  // by Feature
    FeatureSet disabled;                                  // RINGO_DISABLE when the probe ran
    std::string disabled_error;                           // RINGO_DISABLE did not parse (then it was ignored)
    Verdict verdict;                                      // decide(*this, disabled)
    std::int64_t duration_ns = 0;                         // how long the probe took

    const FeatureStatus& status(Feature f) const noexcept { return features[static_cast<std::size_t>(f)]; }
    // Supported and not disabled.
    bool has(Feature f) const noexcept { return status(f).supported && !disabled.has(f); }
};

// The process's report; probes on first use. Thread-safe.
const ProbeReport& probe();

// What the engine does on these facts when `disabled` features are treated
// as missing. The Runtime calls this with disabled_features(options).
Verdict decide(const ProbeReport& report, FeatureSet disabled);

// The features a Runtime with these options treats as missing:
// options.disable, the RINGO_DISABLE environment variable, and the
// multishot_accept / defer_taskrun / speculative_send switches set to false.
// An unknown name is an error naming it and the valid names.
Result<FeatureSet> disabled_features(const RuntimeOptions& options);

// Names of flag bits, in bit order; an unnamed bit reads "bit<N>".
std::vector<std::string> uring_setup_flag_names(unsigned flags);
std::vector<std::string> uring_feature_flag_names(std::uint32_t flags);
// "NOP", "ACCEPT", ...; nullptr for an opcode newer than ringo knows.
const char* uring_opcode_name(unsigned code) noexcept;

}  // namespace ringo
