// ringo-probe --json: the report as JSON, in the schema docs/probe.md
// documents. The schema is versioned (schema_version): keys are only ever
// added; removing or changing one bumps the version.
#pragma once

#include <ringo/engine/probe.hpp>

#include <nlohmann/json.hpp>

namespace ringo_probe {

inline constexpr int json_schema_version = 1;

nlohmann::ordered_json json_report(const ringo::ProbeReport& report);

}  // namespace ringo_probe
