// ringo-probe's default output, modelled on bpftool's `feature probe`: the
// verdict first (what ringo will do here), then one aligned section per
// kind of fact. Colour only when asked for (a terminal, NO_COLOR unset).
#pragma once

#include <ringo/engine/probe.hpp>

#include <string>

namespace ringo_probe {

std::string human_report(const ringo::ProbeReport& report, bool colour);

// Colour by default on a terminal, never when NO_COLOR is set and not
// empty (no-color.org) or TERM is "dumb".
bool want_colour(int fd);

}  // namespace ringo_probe
