// disabled_features(): what a Runtime must treat as missing. Three sources
// add up: RuntimeOptions::disable, the RINGO_DISABLE environment variable
// (so a test run or a deployment can force fallbacks without a rebuild),
// and the older per-feature switches of RuntimeOptions.
#include <ringo/engine/probe.hpp>

#include <cstdlib>
#include <string>

namespace ringo {

Result<FeatureSet> disabled_features(const RuntimeOptions& options) {
    FeatureSet set;
    if (!options.multishot_accept) set.add(Feature::multishot_accept);
    if (!options.defer_taskrun) set.add(Feature::defer_taskrun);
    if (!options.speculative_send) set.add(Feature::speculative_send);

    auto from_options = parse_feature_list(options.disable);
    if (!from_options)
        return Error(from_options.error(), "RuntimeOptions::disable: " + from_options.error_info().context());
    set.add(*from_options);

    if (const char* env = std::getenv("RINGO_DISABLE"); env && *env) {
        auto from_env = parse_feature_list(env);
        if (!from_env)
            return Error(from_env.error(),
                         std::string("RINGO_DISABLE=") + env + ": " + from_env.error_info().context());
        set.add(*from_env);
    }
    return set;
}

}  // namespace ringo
