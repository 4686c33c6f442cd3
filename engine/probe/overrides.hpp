// The parts of disabled_features() (overrides.cpp) that read text and
// nothing else, so a fuzzer can walk them without touching the environment.
#pragma once

#include <ringo/engine/feature.hpp>
#include <ringo/engine/result.hpp>

#include <string_view>

namespace ringo::detail {

// RINGO_DISABLE's value: parse_feature_list, or its error with the whole
// value quoted in front ("RINGO_DISABLE=\"...\": unknown feature ...").
Result<FeatureSet> features_from_env(std::string_view value);

}  // namespace ringo::detail
