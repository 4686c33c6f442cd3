// ringo-probe, run as users run it: --json parses and carries every key
// docs/probe.md promises, and agrees with the library's verdict (one probe,
// one truth); --require exits 0, 1 or 2 as documented; --list names what
// --require accepts; --header defines every macro as 0 or 1; the human
// report leads with the verdict and has no colour off a terminal; and
// under a seccomp filter the CLI says epoll and why.
#include "child.hpp"
#include "harness.hpp"

#include <ringo/engine/probe.hpp>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>

using nlohmann::json;
using ringo::test::run_program;

namespace {

const std::string exe = RINGO_PROBE_EXE;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// The environment that makes the CLI's verdict the machine's own.
const ringo::test::EnvChanges clean_env{{"RINGO_DISABLE", std::nullopt}, {"RINGO_BACKEND", std::nullopt}};

void require_keys(const json& j, std::initializer_list<const char*> keys, const char* where) {
    for (const char* k : keys) {
        INFO(where << "." << k);
        CHECK(j.contains(k));
    }
}

}  // namespace

TEST_CASE("ringo-probe --json parses and carries every key of the schema", "[probe][cli]") {
    auto run = run_program(exe, {"--json"}, clean_env);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    json j = json::parse(run.out);  // throws, and fails the test, if not JSON

    require_keys(j,
                 {"schema_version", "ringo_version", "liburing_version", "kernel", "probe_duration_us",
                  "verdict", "io_uring", "sandbox", "limits", "epoll", "features"},
                 "");
    CHECK(j["schema_version"] == 1);
    require_keys(j["kernel"], {"release", "machine"}, "kernel");
    require_keys(j["verdict"],
                 {"backend", "reason", "setup_flags", "fast_paths", "not_used", "disabled", "backend_env"},
                 "verdict");
    require_keys(j["io_uring"],
                 {"available", "error", "reason", "setup_ladder", "setup_flags", "round_trips",
                  "feature_flags", "opcodes"},
                 "io_uring");
    require_keys(j["sandbox"],
                 {"io_uring_disabled", "io_uring_group", "in_io_uring_group", "seccomp", "seccomp_filters",
                  "io_uring_enter_probe"},
                 "sandbox");
    require_keys(j["limits"]["memlock"], {"soft", "hard"}, "limits.memlock");
    require_keys(j["limits"]["nofile"], {"soft", "hard"}, "limits.nofile");
    require_keys(j["epoll"], {"available", "error", "epoll_pwait2"}, "epoll");
    for (std::size_t i = 0; i < ringo::feature_count; ++i) {
        const char* name = ringo::feature_name(static_cast<ringo::Feature>(i));
        INFO("features." << name);
        REQUIRE(j["features"].contains(name));
        require_keys(j["features"][name],
                     {"available", "supported", "disabled", "fast_path", "since", "error", "detail"}, name);
    }
    for (const auto& op : j["io_uring"]["opcodes"])
        require_keys(op, {"code", "name", "supported", "used_by_ringo"}, "op");

    // The CLI and the library run the same probe: same verdict, same fast paths.
    auto verdict = ringo::decide(ringo::probe(), {});
    CHECK(j["verdict"]["backend"] == (verdict.backend == ringo::Backend::uring ? "io_uring" : "epoll"));
    std::vector<std::string> used;
    for (const auto& c : verdict.fast_paths)
        if (c.used) used.push_back(ringo::feature_name(c.feature));
    CHECK(j["verdict"]["fast_paths"].get<std::vector<std::string>>() == used);
    CHECK(j["io_uring"]["available"] == ringo::probe().uring.usable);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(j["probe_duration_us"].get<long>() < 100'000);  // the promise: well under 100 ms
#endif
}

TEST_CASE("ringo-probe --require exits 0 when present, 1 naming what is missing, 2 for an unknown name",
          "[probe][cli]") {
    auto present = run_program(exe, {"--require", "epoll,speculative_send"}, clean_env);
    INFO(present.out << present.err);
    CHECK(present.exit_code == 0);
    CHECK(contains(present.out, "present: epoll, speculative_send"));

    // RINGO_DISABLE makes a feature missing on any kernel.
    ringo::test::EnvChanges disabled = clean_env;
    disabled.emplace_back("RINGO_DISABLE", "msg_ring");
    auto absent = run_program(exe, {"--require", "epoll", "--require", "msg_ring"}, disabled);
    INFO(absent.out << absent.err);
    CHECK(absent.exit_code == 1);
    CHECK(contains(absent.err, "missing: msg_ring: disabled by RINGO_DISABLE"));
    CHECK_FALSE(contains(absent.err, "missing: epoll"));

    auto unknown = run_program(exe, {"--require", "epoll,hyperdrive"}, clean_env);
    INFO(unknown.err);
    CHECK(unknown.exit_code == 2);
    CHECK(contains(unknown.err, "\"hyperdrive\""));
    CHECK(contains(unknown.err, "multishot_recv"));  // the valid names are listed
}

TEST_CASE("ringo-probe usage errors exit 2; --help and --version exit 0", "[probe][cli]") {
    CHECK(run_program(exe, {"--no-such-option"}).exit_code == 2);
    CHECK(run_program(exe, {"--json", "--header"}).exit_code == 2);
    auto bad_env = run_program(exe, {}, {{"RINGO_DISABLE", "multishot_acept"}});
    CHECK(bad_env.exit_code == 2);
    CHECK(contains(bad_env.err, "RINGO_DISABLE=\"multishot_acept\""));

    auto help = run_program(exe, {"--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.out, "--require"));
    CHECK(contains(help.out, "Exit status"));
    auto version = run_program(exe, {"--version"});
    CHECK(version.exit_code == 0);
    CHECK(contains(version.out, ringo::probe().ringo_version));
}

TEST_CASE("ringo-probe --list names exactly what --require accepts", "[probe][cli]") {
    auto run = run_program(exe, {"--list"});
    REQUIRE(run.exit_code == 0);
    std::set<std::string> listed;
    std::istringstream lines(run.out);
    std::string line;
    std::getline(lines, line);  // the heading
    while (std::getline(lines, line)) listed.insert(line.substr(0, line.find(' ')));
    std::set<std::string> names;
    for (std::size_t i = 0; i < ringo::feature_count; ++i)
        names.insert(ringo::feature_name(static_cast<ringo::Feature>(i)));
    CHECK(listed == names);
}

TEST_CASE("ringo-probe --header defines every RINGO_HAVE_ macro as 0 or 1", "[probe][cli]") {
    auto run = run_program(exe, {"--header"}, clean_env);
    REQUIRE(run.exit_code == 0);
    // The child runs without RINGO_* overrides; this process's probe() sees
    // them (a run with RINGO_BACKEND or RINGO_DISABLE set by hand), so compare
    // values only when both agree.
    const bool overridden = std::getenv("RINGO_BACKEND") || std::getenv("RINGO_DISABLE");
    for (std::size_t i = 0; i < ringo::feature_count; ++i) {
        auto f = static_cast<ringo::Feature>(i);
        std::string macro = ringo::feature_name(f);
        for (char& c : macro) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        macro = "#define RINGO_HAVE_" + macro + " ";
        INFO(macro);
        auto at = run.out.find(macro);
        REQUIRE(at != std::string::npos);
        char value = run.out[at + macro.size()];
        CHECK((value == '0' || value == '1'));
        if (!overridden) CHECK(value == (ringo::probe().has(f) ? '1' : '0'));
    }
    CHECK(contains(run.out, "#ifndef RINGO_PROBE_H"));
}

TEST_CASE("ringo-probe's human report leads with the verdict, without colour off a terminal",
          "[probe][cli]") {
    auto run = run_program(exe, {}, clean_env);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.rfind("ringo ", 0) == 0);
    CHECK(contains(run.out.substr(0, run.out.find('\n')), "Backend::automatic picks"));
    CHECK_FALSE(contains(run.out, "\033["));  // stdout is a pipe here
    for (const char* section :
         {"\nSystem\n", "\nSandbox", "\nio_uring\n", "\nSetup flags", "\nBehaviour", "\nepoll"})
        CHECK(contains(run.out, section));
}

TEST_CASE("ringo-probe under a seccomp filter reports io_uring unavailable and verdict epoll",
          "[probe][cli]") {
    auto run = run_program(exe, {"--json"}, clean_env, [] {
        if (ringo::test::deny_io_uring(EPERM) != 0) ::_exit(99);
    });
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    json j = json::parse(run.out);
    CHECK(j["verdict"]["backend"] == "epoll");
    CHECK(j["io_uring"]["available"] == false);
    CHECK(j["io_uring"]["error"] == "EPERM");
    CHECK(contains(j["io_uring"]["reason"].get<std::string>(), "seccomp"));
    CHECK(j["sandbox"]["seccomp"] == 2);
    CHECK(j["sandbox"]["io_uring_enter_probe"] == "EPERM");
    CHECK(j["features"]["io_uring"]["available"] == false);

    auto require = run_program(exe, {"--require", "io_uring"}, clean_env, [] {
        if (ringo::test::deny_io_uring(ENOSYS) != 0) ::_exit(99);
    });
    CHECK(require.exit_code == 1);
    CHECK(contains(require.err, "missing: io_uring"));
    CHECK(contains(require.err, "ENOSYS"));
}
