// How a value from the user (an environment variable, an option string)
// goes into an error message: the message may reach a terminal or a log
// line, so a raw ESC would be obeyed, a newline would forge a second line,
// and a 10 KB value would bury the reason. net/ quotes its inputs the same
// way (net/src/host_port.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringo::detail {

// Bytes of the value a message shows; the rest is counted, not shown.
inline constexpr std::size_t quoted_max = 64;

// In double quotes; '"' and '\' escaped with '\', bytes outside printable
// ASCII as \xNN; past quoted_max bytes cut, followed by "... (N bytes)".
// At most 4 * quoted_max + 32 bytes, all printable ASCII.
inline std::string quoted(std::string_view value) {
    constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    const std::string_view shown = value.substr(0, quoted_max);
    for (char ch : shown) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    out += '"';
    if (shown.size() < value.size()) out += "... (" + std::to_string(value.size()) + " bytes)";
    return out;
}

}  // namespace ringo::detail
