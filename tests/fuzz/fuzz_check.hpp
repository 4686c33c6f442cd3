// What every fuzz target shares: a property check that aborts (libFuzzer
// and the regression driver both report an abort as a failing input), and
// the checks an error message must pass whatever the input was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

// Not assert(): it must hold in release builds too, and say which property broke.
#define RINGO_FUZZ_CHECK(cond)                                                                   \
    do {                                                                                         \
        if (!(cond)) ::ringo::fuzz::fail(#cond, __FILE__, __LINE__);                             \
    } while (0)

namespace ringo::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// A message safe for a terminal and a log line: printable ASCII only (no
// ESC, no newline) and bounded, however hostile the input.
inline bool tame(std::string_view message, std::size_t max_size) {
    if (message.size() > max_size) return false;
    for (char c : message)
        if (c < 0x20 || c >= 0x7f) return false;
    return true;
}

// The decimal number after the last ':' (a port as text gives it), or -1
// when that is not all digits or is past 65535.
inline long port_after_last_colon(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == text.size()) return -1;
    long v = 0;
    for (char c : text.substr(colon + 1)) {
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
        if (v > 65535) return -1;
    }
    return v;
}

// Reads back what ringo::detail::quoted (engine/src/quote.hpp) wrote at the
// start of text: the bytes between the quotes, unescaped, and the rest of
// text after the closing quote. nullopt when it is not well formed.
struct Unquoted {
    std::string value;
    std::string_view rest;
};
inline std::optional<Unquoted> unquote(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    if (text.empty() || text.front() != '"') return std::nullopt;
    Unquoted out;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            out.rest = text.substr(i + 1);
            return out;
        }
        if (c != '\\') {
            out.value += c;
            continue;
        }
        if (i + 1 >= text.size()) return std::nullopt;
        const char e = text[++i];
        if (e == '"' || e == '\\') {
            out.value += e;
        } else if (e == 'x' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out.value += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        } else {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace ringo::fuzz
