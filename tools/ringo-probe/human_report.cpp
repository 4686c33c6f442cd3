#include "human_report.hpp"

#include "report_text.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ringo_probe {
namespace {

using ringo::Feature;

constexpr std::size_t label_width = 32;
constexpr std::size_t line_width = 100;

class Out {
public:
    explicit Out(bool colour) : colour_(colour) {}

    std::string good(const std::string& s) const { return paint("32", s); }
    std::string bad(const std::string& s) const { return paint("31", s); }
    std::string warn(const std::string& s) const { return paint("33", s); }
    std::string dim(const std::string& s) const { return paint("2", s); }

    // Appended piece by piece: g++ 12 at -O3 warns (-Wrestrict, a false
    // positive, GCC bug 105329) on "literal" + std::string&&.
    void heading(const std::string& s) {
        text_ += '\n';
        text_ += paint("1", s);
        text_ += '\n';
    }
    void line(const std::string& s) { text_ += s + "\n"; }
    // "  label                       value", continuation lines aligned.
    void row(const std::string& label, const std::string& value) {
        std::string l = "  " + label;
        if (l.size() < label_width) l.append(label_width - l.size(), ' ');
        else l += ' ';
        text_ += l + value + "\n";
    }
    // Words wrapped under a row, for long lists.
    void wrapped_row(const std::string& label, const std::vector<std::string>& words) {
        std::string current;
        bool first = true;
        for (const auto& w : words) {
            if (!current.empty() && label_width + current.size() + 1 + w.size() > line_width) {
                row(first ? label : "", current);
                first = false;
                current.clear();
            }
            if (!current.empty()) current += ' ';
            current += w;
        }
        row(first ? label : "", current.empty() ? "none" : current);
    }
    const std::string& text() const { return text_; }

private:
    std::string paint(const char* code, const std::string& s) const {
        return colour_ ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
    }
    bool colour_;
    std::string text_;
};

std::string yes_no(const ringo::ProbeReport& r, Feature f, const Out& o) {
    const ringo::FeatureStatus& s = r.status(f);
    if (s.supported && r.disabled.has(f)) return o.warn("yes, but disabled by RINGO_DISABLE");
    if (s.supported) return o.good("yes");
    return o.bad("no") + ": " + (s.detail.empty() ? "not supported" : s.detail);
}

void verdict_section(const ringo::ProbeReport& r, Out& o) {
    const ringo::Verdict& v = r.verdict;
    const bool uring = v.backend == ringo::Backend::uring;
    o.line(std::string("ringo ") + r.ringo_version + " on Linux " + r.kernel_release +
           ": Backend::automatic picks " + (uring ? o.good("io_uring") : o.warn("epoll")));
    o.row("why", v.reason);
    if (uring) o.row("ring setup flags", setup_flags_text(v.setup_flags));
    std::vector<std::string> used;
    for (const auto& c : v.fast_paths)
        if (c.used) used.push_back(ringo::feature_name(c.feature));
    if (!uring) {
        o.row("fast paths used", "none (they are io_uring's)");
    } else {
        o.row("fast paths used", used.empty() ? std::string("none") : o.good(join(used, ", ")));
        for (const auto& c : v.fast_paths)
            if (!c.used) o.row(std::string("not used: ") + ringo::feature_name(c.feature), o.dim(c.reason));
    }
    if (!r.disabled.empty())
        o.row("RINGO_DISABLE", o.warn(ringo::format_feature_list(r.disabled)) + " (acts as if missing)");
    if (const char* env = backend_override())
        o.row("RINGO_BACKEND", o.warn(env) + " (overrides this verdict for every automatic runtime)");
}

void system_section(const ringo::ProbeReport& r, Out& o) {
    o.heading("System");
    o.row("kernel", r.kernel_release + " (" + r.machine + ")");
    o.row("ringo", r.ringo_version);
    o.row("liburing", r.liburing_version + " (the headers ringo was built with)");
    o.row("RLIMIT_MEMLOCK", bytes_text(r.memlock.soft) + " (hard " + bytes_text(r.memlock.hard) + ")");
    auto count = [](std::uint64_t v) {
        return v == ringo::Limit::unlimited ? std::string("unlimited") : std::to_string(v);
    };
    o.row("RLIMIT_NOFILE", count(r.nofile.soft) + " (hard " + count(r.nofile.hard) + ")");
    char took[32];
    std::snprintf(took, sizeof took, "%.1f ms", static_cast<double>(r.duration_ns) / 1e6);
    o.row("probe took", took);
}

void sandbox_section(const ringo::ProbeReport& r, Out& o) {
    const ringo::SandboxReport& sb = r.sandbox;
    o.heading("Sandbox (what can refuse io_uring)");
    static const char* const disabled_words[] = {
        "allowed for every process", "only io_uring_group and CAP_SYS_ADMIN", "off for every process"};
    if (sb.io_uring_disabled < 0) o.row("kernel.io_uring_disabled", "absent (linux < 6.6)");
    else if (sb.io_uring_disabled <= 2)
        o.row("kernel.io_uring_disabled",
              std::to_string(sb.io_uring_disabled) + " (" + disabled_words[sb.io_uring_disabled] + ")");
    else o.row("kernel.io_uring_disabled", std::to_string(sb.io_uring_disabled));
    o.row("kernel.io_uring_group",
          sb.io_uring_group < 0 ? std::string("-1 (none)")
                                : std::to_string(sb.io_uring_group) +
                                      (sb.in_io_uring_group ? " (we are in it)" : " (we are not in it)"));
    std::string seccomp = sb.seccomp_mode < 0    ? "unknown"
                          : sb.seccomp_mode == 0 ? "0 (off)"
                          : sb.seccomp_mode == 1 ? "1 (strict)"
                                                 : "2 (filter)";
    if (sb.seccomp_filters > 0) seccomp += ", " + std::to_string(sb.seccomp_filters) + " filter(s)";
    o.row("seccomp", seccomp);
    o.row("io_uring_enter(-1)", errno_name(sb.enter_error) +
                                    (sb.enter_error == EBADF ? ": the kernel answered, no filter in between"
                                                             : ": answered before the kernel (a filter)"));
}

void uring_section(const ringo::ProbeReport& r, Out& o) {
    const ringo::UringReport& u = r.uring;
    o.heading("io_uring");
    o.row("usable", u.usable ? o.good("yes") : o.bad("no") + ": " + u.reason);
    for (const auto& step : u.ladder)
        o.row(step.error == 0 ? "engine ring" : "engine ring (tried)",
              setup_flags_text(step.flags) + ": " +
                  (step.error == 0 ? o.good("ok") : o.bad(errno_name(step.error))));
    std::vector<std::string> trips;
    for (const auto& t : u.round_trips)
        trips.push_back(t.op + " " +
                        (!t.ran   ? o.dim("not run")
                         : t.ok() ? o.good("ok")
                                  : o.bad(errno_name(t.error))));
    if (!trips.empty()) o.row("round trips", join(trips, ", "));
    if (!u.ladder.empty() && u.ladder.back().error == 0)
        o.wrapped_row("feature flags", ringo::uring_feature_flag_names(u.feature_flags));
}

void features_section(const ringo::ProbeReport& r, Out& o, Group group, const char* title) {
    o.heading(title);
    for (std::size_t i = 0; i < ringo::feature_count; ++i) {
        auto f = static_cast<Feature>(i);
        if (group_of(f) != group) continue;
        std::string label = ringo::feature_name(f);
        if (ringo::is_fast_path(f)) label += " *";
        o.row(label, yes_no(r, f, o));
    }
}

void opcodes_section(const ringo::ProbeReport& r, Out& o) {
    const auto& ops = r.uring.opcodes;
    if (ops.empty()) return;
    std::size_t supported = 0;
    for (const auto& op : ops) supported += op.supported;
    o.heading("Opcodes: " + std::to_string(supported) + " of " + std::to_string(ops.size()) +
              " supported (* used by ringo, - not supported)");
    constexpr std::size_t per_row = 5, width = 20;
    std::string row = "  ";
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const char* name = ringo::uring_opcode_name(ops[i].code);
        std::string cell = name ? name : "OP_" + std::to_string(ops[i].code);
        if (ops[i].used_by_ringo) cell += "*";
        if (!ops[i].supported) cell = "-" + cell;
        std::string padded = cell;
        if (padded.size() < width) padded.append(width - padded.size(), ' ');
        row += ops[i].supported ? padded : o.bad(padded);
        if ((i + 1) % per_row == 0 || i + 1 == ops.size()) {
            while (!row.empty() && row.back() == ' ') row.pop_back();
            o.line(row);
            row = "  ";
        }
    }
}

}  // namespace

std::string human_report(const ringo::ProbeReport& r, bool colour) {
    Out o(colour);
    verdict_section(r, o);
    system_section(r, o);
    sandbox_section(r, o);
    uring_section(r, o);
    features_section(r, o, Group::setup_flag,
                     "Setup flags (each on a throw-away ring; * = engine fast path)");
    features_section(r, o, Group::behaviour, "Behaviour (each proven by a completion; * = engine fast path)");
    features_section(r, o, Group::epoll, "epoll (the fallback backend)");
    opcodes_section(r, o);
    return o.text();
}

bool want_colour(int fd) {
    if (const char* no = std::getenv("NO_COLOR"); no && *no) return false;
    if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) return false;
    return ::isatty(fd) == 1;
}

}  // namespace ringo_probe
