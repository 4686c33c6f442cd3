// RINGO_DISABLE and RuntimeOptions::disable: ringo::parse_feature_list, the
// environment's reading of it (engine/probe/overrides.cpp) and
// disabled_features() on any bytes. What must hold: all three accept the
// same lists and give the same set; a parsed set formats to a canonical
// list that parses back to it and formats the same again; a refusal is
// invalid_argument with a bounded message of printable ASCII, whose
// RINGO_DISABLE form quotes the value.
#include "tests/fuzz/fuzz_check.hpp"

#include "engine/probe/overrides.hpp"
#include "engine/src/quote.hpp"

#include <ringo/engine/probe.hpp>

#include <string>
#include <system_error>

namespace {

// Two quoted strings and the list of valid names.
constexpr std::size_t max_message = 8 * ringo::detail::quoted_max + 1024;

void check_refusal(const ringo::Error& e) {
    RINGO_FUZZ_CHECK(e.code() == std::errc::invalid_argument);
    RINGO_FUZZ_CHECK(ringo::fuzz::tame(e.context(), max_message));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // disabled_features() adds RINGO_DISABLE to the options: keep it out.
    ::unsetenv("RINGO_DISABLE");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = ringo::fuzz::as_text(data, size);

    auto parsed = ringo::parse_feature_list(text);
    auto from_env = ringo::detail::features_from_env(text);
    ringo::RuntimeOptions options;
    options.disable = std::string(text);
    auto from_options = ringo::disabled_features(options);

    RINGO_FUZZ_CHECK(parsed.has_value() == from_env.has_value());
    RINGO_FUZZ_CHECK(parsed.has_value() == from_options.has_value());
    if (!parsed) {
        check_refusal(parsed.error_info());
        check_refusal(from_env.error_info());
        check_refusal(from_options.error_info());
        const std::string& msg = from_env.error_info().context();
        constexpr std::string_view prefix = "RINGO_DISABLE=";
        RINGO_FUZZ_CHECK(msg.compare(0, prefix.size(), prefix) == 0);
        auto value = ringo::fuzz::unquote(std::string_view(msg).substr(prefix.size()));
        RINGO_FUZZ_CHECK(value.has_value() && value->value == text.substr(0, ringo::detail::quoted_max));
        return 0;
    }
    RINGO_FUZZ_CHECK(*from_env == *parsed);
    RINGO_FUZZ_CHECK(*from_options == *parsed);

    const std::string canonical = ringo::format_feature_list(*parsed);
    auto again = ringo::parse_feature_list(canonical);
    RINGO_FUZZ_CHECK(again.has_value() && *again == *parsed);
    RINGO_FUZZ_CHECK(ringo::format_feature_list(*again) == canonical);
    // "all" is every fast path and nothing else.
    if (text.find("all") == std::string_view::npos)
        RINGO_FUZZ_CHECK(canonical.size() <= text.size());
    return 0;
}
