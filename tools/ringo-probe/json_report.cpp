#include "json_report.hpp"

#include "report_text.hpp"

namespace ringo_probe {
namespace {

using nlohmann::ordered_json;
using ringo::Feature;

// null for "none" (0) and for what could not be read (negative).
ordered_json errno_or_null(int err) {
    return err == 0 ? ordered_json(nullptr) : ordered_json(errno_name(err));
}
ordered_json text_or_null(const std::string& s) {
    return s.empty() ? ordered_json(nullptr) : ordered_json(s);
}
ordered_json number_or_null(long v) { return v < 0 ? ordered_json(nullptr) : ordered_json(v); }
ordered_json limit(const ringo::Limit& l) {
    auto v = [](std::uint64_t x) {
        return x == ringo::Limit::unlimited ? ordered_json(nullptr) : ordered_json(x);
    };
    return {{"soft", v(l.soft)}, {"hard", v(l.hard)}};
}

ordered_json verdict(const ringo::ProbeReport& r) {
    const ringo::Verdict& v = r.verdict;
    ordered_json used = ordered_json::array();
    ordered_json not_used = ordered_json::object();
    for (const auto& c : v.fast_paths) {
        if (c.used) used.push_back(ringo::feature_name(c.feature));
        else not_used[ringo::feature_name(c.feature)] = c.reason;
    }
    ordered_json disabled = ordered_json::array();
    for (std::size_t i = 0; i < ringo::feature_count; ++i)
        if (r.disabled.has(static_cast<Feature>(i)))
            disabled.push_back(ringo::feature_name(static_cast<Feature>(i)));
    const char* env = backend_override();
    return {
        {"backend", backend_text(v.backend)},
        {"reason", v.reason},
        {"setup_flags", v.backend == ringo::Backend::uring ? ringo::uring_setup_flag_names(v.setup_flags)
                                                           : std::vector<std::string>{}},
        {"fast_paths", used},
        {"not_used", not_used},
        {"disabled", disabled},
        {"backend_env", env ? ordered_json(env) : ordered_json(nullptr)},
    };
}

ordered_json io_uring(const ringo::ProbeReport& r) {
    const ringo::UringReport& u = r.uring;
    ordered_json ladder = ordered_json::array();
    for (const auto& step : u.ladder)
        ladder.push_back({{"flags", ringo::uring_setup_flag_names(step.flags)},
                          {"result", step.error == 0 ? "ok" : errno_name(step.error)}});
    ordered_json trips = ordered_json::object();
    for (const auto& t : u.round_trips)
        trips[t.op] = !t.ran ? "not run" : t.ok() ? "ok" : errno_name(t.error);
    ordered_json opcodes = ordered_json::array();
    for (const auto& o : u.opcodes) {
        const char* name = ringo::uring_opcode_name(o.code);
        opcodes.push_back({{"code", o.code},
                           {"name", name ? ordered_json(name) : ordered_json(nullptr)},
                           {"supported", o.supported},
                           {"used_by_ringo", o.used_by_ringo}});
    }
    const bool set_up = !u.ladder.empty() && u.ladder.back().error == 0;
    return {
        {"available", u.usable},
        {"error", errno_or_null(u.usable ? 0 : u.setup_error)},
        {"reason", text_or_null(u.reason)},
        {"setup_ladder", ladder},
        {"setup_flags", set_up ? ringo::uring_setup_flag_names(u.setup_flags) : std::vector<std::string>{}},
        {"round_trips", trips},
        {"feature_flags", ringo::uring_feature_flag_names(u.feature_flags)},
        {"opcodes", opcodes},
    };
}

ordered_json features(const ringo::ProbeReport& r) {
    ordered_json out = ordered_json::object();
    for (std::size_t i = 0; i < ringo::feature_count; ++i) {
        auto f = static_cast<Feature>(i);
        const ringo::FeatureStatus& s = r.status(f);
        out[ringo::feature_name(f)] = {
            {"available", r.has(f)},
            {"supported", s.supported},
            {"disabled", r.disabled.has(f)},
            {"fast_path", ringo::is_fast_path(f)},
            {"since", text_or_null(ringo::feature_since(f))},
            {"error", errno_or_null(s.error)},
            {"detail", text_or_null(s.detail)},
        };
    }
    return out;
}

}  // namespace

nlohmann::ordered_json json_report(const ringo::ProbeReport& r) {
    const ringo::SandboxReport& sb = r.sandbox;
    return {
        {"schema_version", json_schema_version},
        {"ringo_version", r.ringo_version},
        {"liburing_version", r.liburing_version},
        {"kernel", {{"release", r.kernel_release}, {"machine", r.machine}}},
        {"probe_duration_us", r.duration_ns / 1000},
        {"verdict", verdict(r)},
        {"io_uring", io_uring(r)},
        {"sandbox",
         {
             {"io_uring_disabled", number_or_null(sb.io_uring_disabled)},
             {"io_uring_group", number_or_null(sb.io_uring_group)},
             {"in_io_uring_group", sb.in_io_uring_group},
             {"seccomp", number_or_null(sb.seccomp_mode)},
             {"seccomp_filters", number_or_null(sb.seccomp_filters)},
             {"io_uring_enter_probe", errno_or_null(sb.enter_error)},
         }},
        {"limits", {{"memlock", limit(r.memlock)}, {"nofile", limit(r.nofile)}}},
        {"epoll",
         {{"available", r.epoll.available},
          {"error", errno_or_null(r.epoll.error)},
          {"epoll_pwait2", r.epoll.pwait2}}},
        {"features", features(r)},
    };
}

}  // namespace ringo_probe
