// ringo-probe --header: the report as a C header of always-defined 0/1
// macros, for builds that want to know what the build host offers
// (#if RINGO_HAVE_MULTISHOT_RECV). Always defined, so a misspelt macro is
// caught by -Wundef rather than read as 0.
#pragma once

#include <ringo/engine/probe.hpp>

#include <string>

namespace ringo_probe {

std::string c_header(const ringo::ProbeReport& report);

}  // namespace ringo_probe
