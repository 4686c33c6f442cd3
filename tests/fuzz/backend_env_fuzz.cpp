// RINGO_BACKEND: ringo::parse_backend and the factory's reading of the
// variable (engine/src/backend_factory.cpp) on any bytes. What must hold:
// both accept the same values, a parsed backend's own name parses back to
// it, and a refusal is invalid_argument with a message that quotes the
// value (escaped, cut at detail::quoted_max bytes: it reads back to the
// value's first bytes) and holds nothing a terminal would obey.
#include "tests/fuzz/fuzz_check.hpp"

#include "engine/runtime/backend_factory.hpp"
#include "engine/src/quote.hpp"

#include <ringo/engine/runtime_options.hpp>

#include <string>
#include <system_error>

namespace {

constexpr std::size_t max_message = 4 * ringo::detail::quoted_max + 128;

// What quoted() promises: the value's first quoted_max bytes, then the size
// when there was more.
void check_quoted(std::string_view quoted, std::string_view value) {
    auto back = ringo::fuzz::unquote(quoted);
    RINGO_FUZZ_CHECK(back.has_value());
    RINGO_FUZZ_CHECK(back->value == value.substr(0, ringo::detail::quoted_max));
    const std::string more =
        value.size() > ringo::detail::quoted_max ? "... (" + std::to_string(value.size()) + " bytes)" : "";
    RINGO_FUZZ_CHECK(back->rest.substr(0, more.size()) == more);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = ringo::fuzz::as_text(data, size);

    // The quoting itself, on the raw input.
    const std::string q = ringo::detail::quoted(text);
    RINGO_FUZZ_CHECK(ringo::fuzz::tame(q, 4 * ringo::detail::quoted_max + 32));
    check_quoted(q, text);

    auto parsed = ringo::parse_backend(text);
    auto from_env = ringo::detail::backend_from_env(text);
    RINGO_FUZZ_CHECK(parsed.has_value() == from_env.has_value());
    if (parsed) {
        RINGO_FUZZ_CHECK(*from_env == *parsed);
        RINGO_FUZZ_CHECK(ringo::parse_backend(ringo::backend_name(*parsed)) == parsed);
        return 0;
    }
    RINGO_FUZZ_CHECK(from_env.error() == std::errc::invalid_argument);
    const std::string& msg = from_env.error_info().context();
    RINGO_FUZZ_CHECK(ringo::fuzz::tame(msg, max_message));
    constexpr std::string_view prefix = "RINGO_BACKEND=";
    RINGO_FUZZ_CHECK(msg.compare(0, prefix.size(), prefix) == 0);
    check_quoted(std::string_view(msg).substr(prefix.size()), text);
    return 0;
}
