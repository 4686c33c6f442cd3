// disabled_features(): what a Runtime must treat as missing. Three sources
// add up: RuntimeOptions::disable, the RINGO_DISABLE environment variable
// (so a test run or a deployment can force fallbacks without a rebuild),
// and the older per-feature switches of RuntimeOptions. The values are the
// user's: errors quote them (engine/src/quote.hpp), never echo them raw.
#include "engine/probe/overrides.hpp"

#include "engine/src/quote.hpp"

#include <ringo/engine/probe.hpp>

#include <cstdlib>
#include <string>

namespace ringo {

namespace detail {

Result<FeatureSet> features_from_env(std::string_view value) {
    auto set = parse_feature_list(value);
    if (!set) return Error(set.error(), "RINGO_DISABLE=" + quoted(value) + ": " + set.error_info().context());
    return set;
}

}  // namespace detail

Result<FeatureSet> disabled_features(const RuntimeOptions& options) {
    FeatureSet set;
    if (!options.multishot_accept) set.add(Feature::multishot_accept);
    if (!options.defer_taskrun) set.add(Feature::defer_taskrun);
    if (!options.speculative_send) set.add(Feature::speculative_send);

    // The unknown name is quoted by parse_feature_list; a list in code
    // needs no echo of its own.
    auto from_options = parse_feature_list(options.disable);
    if (!from_options)
        return Error(from_options.error(), "RuntimeOptions::disable: " + from_options.error_info().context());
    set.add(*from_options);

    if (const char* env = std::getenv("RINGO_DISABLE"); env && *env) {
        auto from_env = detail::features_from_env(env);
        if (!from_env) return from_env.error_info();
        set.add(*from_env);
    }
    return set;
}

}  // namespace ringo
