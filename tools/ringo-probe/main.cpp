// ringo-probe: will io_uring work here, which parts of it, and what will
// ringo do? Runs ringo::probe() (the same probe every Runtime uses) and
// prints the verdict and the facts behind it, as text, JSON or a C header,
// or checks a list of required features. docs/probe.md has the details.
//
// Exit codes: 0 report printed / all required features present;
// 1 a required feature is missing; 2 usage error (unknown option or
// feature name, or an unparsable RINGO_DISABLE).
#include "c_header.hpp"
#include "human_report.hpp"
#include "json_report.hpp"
#include "report_text.hpp"

#include <ringo/engine/probe.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_missing = 1;
constexpr int exit_usage = 2;

const char* const footer = R"(Exit status:
  0  the report was printed; with --require, every required feature is present
  1  with --require: a required feature is missing (each is named on stderr)
  2  usage error: an unknown option or feature name, or an unparsable RINGO_DISABLE

Environment:
  RINGO_DISABLE=a,b   treat these features as missing, as the engine will ("all": every fast path)
  RINGO_BACKEND=...   shown as an override: every automatic runtime will use it
  NO_COLOR=1          no colour, even on a terminal)";

void print_list() {
    std::size_t width = 0;
    for (std::size_t i = 0; i < ringo::feature_count; ++i)
        width = std::max(width, std::string(ringo::feature_name(static_cast<ringo::Feature>(i))).size());
    std::printf("%-*s  %-5s  %s\n", static_cast<int>(width), "FEATURE", "LINUX",
                "WHAT (* = engine fast path)");
    for (std::size_t i = 0; i < ringo::feature_count; ++i) {
        auto f = static_cast<ringo::Feature>(i);
        std::printf("%-*s  %-5s  %s%s\n", static_cast<int>(width), ringo::feature_name(f),
                    *ringo::feature_since(f) ? ringo::feature_since(f) : "-",
                    ringo::is_fast_path(f) ? "* " : "", ringo::feature_summary(f));
    }
}

// Parses --require's names; an unknown one is a usage error.
bool parse_required(const std::vector<std::string>& names, std::vector<ringo::Feature>& out) {
    for (const auto& n : names) {
        if (n.empty()) continue;
        if (auto f = ringo::parse_feature(n)) {
            out.push_back(*f);
            continue;
        }
        std::fprintf(stderr, "ringo-probe: --require: unknown feature \"%s\"\nvalid names: %s\n", n.c_str(),
                     ringo::valid_feature_names().c_str());
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "ringo-probe: will io_uring work here, which parts of it, and what will ringo do?\n"
        "Probes the kernel and sandbox the way every ringo Runtime does, then prints the verdict\n"
        "(the backend Backend::automatic picks, the fast paths it uses) and the facts behind it."};
    app.set_version_flag("--version", "ringo-probe " RINGO_VERSION);
    bool json = false, list = false, header = false;
    std::vector<std::string> require;
    auto* json_opt = app.add_flag("--json", json, "Print the report as JSON (schema in docs/probe.md)");
    auto* header_opt =
        app.add_flag("--header", header, "Print a C header of 0/1 RINGO_HAVE_<FEATURE> macros");
    auto* list_opt =
        app.add_flag("--list", list, "List the feature names --require and RINGO_DISABLE accept");
    app.add_option("--require", require, "Exit 1 unless every named feature is present (comma list)")
        ->delimiter(',')
        ->type_name("FEATURE[,FEATURE...]");
    json_opt->excludes(header_opt)->excludes(list_opt);
    header_opt->excludes(list_opt);
    app.footer(footer);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    if (list) {
        print_list();
        return exit_ok;
    }
    std::vector<ringo::Feature> required;
    if (!parse_required(require, required)) return exit_usage;

    const ringo::ProbeReport& report = ringo::probe();
    if (!report.disabled_error.empty()) {
        std::fprintf(stderr, "ringo-probe: %s\n", report.disabled_error.c_str());
        return exit_usage;
    }

    if (json) std::cout << ringo_probe::json_report(report).dump(2) << "\n";
    else if (header) std::cout << ringo_probe::c_header(report);
    else if (required.empty())
        std::cout << ringo_probe::human_report(report, ringo_probe::want_colour(STDOUT_FILENO));
    std::cout.flush();

    if (required.empty()) return exit_ok;
    int missing = 0;
    for (ringo::Feature f : required) {
        if (ringo_probe::available(report, f)) continue;
        ++missing;
        std::fprintf(stderr, "ringo-probe: missing: %s: %s\n", ringo::feature_name(f),
                     ringo_probe::why_missing(report, f).c_str());
    }
    if (missing == 0 && !json && !header) {
        std::string names;
        for (ringo::Feature f : required)
            names += std::string(names.empty() ? "" : ", ") + ringo::feature_name(f);
        std::printf("ringo-probe: present: %s\n", names.c_str());
    }
    return missing == 0 ? exit_ok : exit_missing;
}
