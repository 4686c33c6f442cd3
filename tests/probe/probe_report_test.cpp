// ringo::probe() on this machine: probed once per process, consistent with
// itself (a verdict never uses what the probe did not prove), leak-free,
// and decide() treats disabled features as missing. The feature names that
// RINGO_DISABLE and ringo-probe --require share parse both ways.
#include "child.hpp"
#include "harness.hpp"

#include <ringo/engine/probe.hpp>

#include <string>

using ringo::Feature;
using ringo::FeatureSet;

namespace {

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("every feature name parses back to its feature", "[probe][features]") {
    for (std::size_t i = 0; i < ringo::feature_count; ++i) {
        auto f = static_cast<Feature>(i);
        INFO(ringo::feature_name(f));
        auto parsed = ringo::parse_feature(ringo::feature_name(f));
        REQUIRE(parsed.has_value());
        CHECK(*parsed == f);
        CHECK(std::string(ringo::feature_summary(f)).size() > 0);
    }
    CHECK_FALSE(ringo::parse_feature("multishot").has_value());
}

TEST_CASE("a feature list takes names, blanks and all, and names an unknown entry", "[probe][features]") {
    auto set = ringo::parse_feature_list(" multishot_accept, ,send_zc ");
    REQUIRE(set.has_value());
    CHECK(set->has(Feature::multishot_accept));
    CHECK(set->has(Feature::send_zc));
    CHECK_FALSE(set->has(Feature::defer_taskrun));
    CHECK(ringo::format_feature_list(*set) == "multishot_accept,send_zc");

    auto all = ringo::parse_feature_list("all");
    REQUIRE(all.has_value());
    CHECK(*all == FeatureSet::fast_paths());
    CHECK_FALSE(all->has(Feature::io_uring));  // "all" keeps io_uring, with every fast path off

    auto bad = ringo::parse_feature_list("multishot_accept,turbo");
    REQUIRE_FALSE(bad.has_value());
    CHECK(contains(bad.message(), "\"turbo\""));
    CHECK(contains(bad.message(), "registered_ring_fd"));  // the valid names are listed
}

TEST_CASE("the probe runs once per process and returns the same report", "[probe]") {
    const ringo::ProbeReport& a = ringo::probe();
    const ringo::ProbeReport& b = ringo::probe();
    CHECK(&a == &b);
    CHECK_FALSE(a.kernel_release.empty());
    CHECK_FALSE(a.machine.empty());
    CHECK_FALSE(a.ringo_version.empty());
    CHECK_FALSE(a.liburing_version.empty());
    CHECK(a.duration_ns > 0);
    CHECK(a.status(Feature::speculative_send).supported);
}

TEST_CASE("the probe's verdict uses only what it proved", "[probe]") {
    const ringo::ProbeReport& r = ringo::probe();
    const ringo::Verdict v = ringo::decide(r, {});
    if (!r.uring.usable) {
        CHECK(v.backend == ringo::Backend::epoll);
        CHECK(v.reason == r.uring.reason);
        CHECK_FALSE(r.uring.reason.empty());
        CHECK(v.used().empty());
        return;
    }
    CHECK(v.backend == ringo::Backend::uring);
    CHECK(r.uring.reason.empty());
    REQUIRE(r.uring.round_trips.size() == 7);
    for (const auto& t : r.uring.round_trips) {
        INFO(t.op);
        CHECK(t.ok());
    }
    CHECK(r.uring.setup_flags == r.uring.ladder.back().flags);
    CHECK(v.setup_flags == r.uring.setup_flags);
    for (const auto& c : v.fast_paths) {
        INFO(ringo::feature_name(c.feature) << ": " << c.reason);
        CHECK(ringo::is_fast_path(c.feature));
        if (c.used) CHECK(r.status(c.feature).supported);
        else CHECK_FALSE(c.reason.empty());
    }
    // The opcode table names what ringo submits, and the kernel has it.
    REQUIRE_FALSE(r.uring.opcodes.empty());
    CHECK(r.uring.opcodes[0].supported);
    CHECK(r.uring.opcodes[0].used_by_ringo);
    CHECK(std::string(ringo::uring_opcode_name(0)) == "NOP");
}

TEST_CASE("decide treats disabled features as missing", "[probe]") {
    const ringo::ProbeReport& r = ringo::probe();
    FeatureSet no_uring;
    no_uring.add(Feature::io_uring);
    auto v = ringo::decide(r, no_uring);
    CHECK(v.backend == ringo::Backend::epoll);
    CHECK(contains(v.reason, "disabled"));
    CHECK(v.used().empty());
    if (!r.uring.usable) return;

    v = ringo::decide(r, FeatureSet::fast_paths());
    CHECK(v.backend == ringo::Backend::uring);
    CHECK(v.used().empty());
    // With both taskrun modes off the engine's ring is the third ladder step.
    CHECK(ringo::uring_setup_flag_names(v.setup_flags) == std::vector<std::string>{"CQSIZE"});

    FeatureSet no_defer;
    no_defer.add(Feature::defer_taskrun);
    v = ringo::decide(r, no_defer);
    CHECK_FALSE(v.used().has(Feature::defer_taskrun));
    if (r.status(Feature::coop_taskrun).supported) CHECK(v.used().has(Feature::coop_taskrun));
}

TEST_CASE("a fresh probe closes every fd it opened", "[probe]") {
    // probe() caches per process; a forked child probes afresh, so the
    // count is taken around a real probe.
    auto child = ringo::test::run_in_child([](std::string& out) {
        int before = ringo::test::open_fd_count();
        const auto& r = ringo::probe();
        int after = ringo::test::open_fd_count();
        out = "fds before " + std::to_string(before) + ", after " + std::to_string(after) + "; probe took " +
              std::to_string(r.duration_ns / 1000) + " us";
        return after == before ? 0 : 1;
    });
    INFO(child.output);
    CHECK(child.exit_code == 0);
}
