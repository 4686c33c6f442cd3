#include "net/src/host_port.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include <arpa/inet.h>
#include <net/if.h>

namespace ringo::net::detail {
namespace {

constexpr std::size_t max_quoted = 200;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_space_or_control(char c) noexcept { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; }

bool all_digits(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// Decimal digits only: no sign, no spaces, no "0x". nullopt past max.
std::optional<std::uint32_t> parse_decimal(std::string_view s, std::uint32_t max) noexcept {
    if (!all_digits(s)) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > max) return std::nullopt;
    }
    return static_cast<std::uint32_t>(v);
}

// What the kernel accepts as an interface name (dev_valid_name), checked
// before if_nametoindex so that junk costs no syscall.
bool valid_interface_name(std::string_view s) noexcept {
    if (s.empty() || s.size() >= IF_NAMESIZE || s == "." || s == "..") return false;
    return std::none_of(s.begin(), s.end(), [](char c) { return c == '/' || c == ':' || is_space_or_control(c); });
}

// inet_pton needs a NUL-terminated string; anything longer than the
// longest literal ("ffff:...:255.255.255.255", 45 bytes) is not one.
bool to_cstr(std::string_view s, char (&buf)[64]) noexcept {
    if (s.size() >= sizeof buf) return false;
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    return true;
}

Result<SocketAddr> parse_v6(std::string_view what, std::string_view input, std::string_view ip, std::uint16_t port) {
    std::string_view addr = ip;
    std::uint32_t scope = 0;
    if (auto pct = ip.find('%'); pct != std::string_view::npos) {
        addr = ip.substr(0, pct);
        std::string_view name = ip.substr(pct + 1);
        if (name.empty()) return invalid_input(what, input, "empty scope id after '%'");
        if (all_digits(name)) {
            auto n = parse_decimal(name, UINT32_MAX);
            if (!n) return invalid_input(what, input, "scope id out of range");
            scope = *n;
        } else {
            unsigned index = 0;
            if (valid_interface_name(name)) index = ::if_nametoindex(std::string(name).c_str());
            if (index == 0) return invalid_input(what, input, fmt::format("no network interface {}", quote(name)));
            scope = index;
        }
    }
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    sin6.sin6_scope_id = scope;
    char buf[64];
    if (!to_cstr(addr, buf) || ::inet_pton(AF_INET6, buf, &sin6.sin6_addr) != 1)
        return invalid_input(what, input, "not an IPv6 address");
    return SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6);
}

}  // namespace

std::string quote(std::string_view input) {
    std::string out = "\"";
    for (std::size_t i = 0; i < input.size() && i < max_quoted; ++i) {
        auto c = static_cast<unsigned char>(input[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    if (input.size() > max_quoted) out += "...";
    return out;
}

Error invalid_input(std::string_view what, std::string_view input, std::string_view why) {
    return Error(errc::invalid_address, fmt::format("{} {}: {}", what, quote(input), why));
}

Result<HostPort> split_host_port(std::string_view what, std::string_view text) {
    if (text.empty()) return invalid_input(what, text, "empty string");
    if (text.find('\0') != std::string_view::npos) return invalid_input(what, text, "contains a NUL byte");

    HostPort hp;
    std::string_view port_text;
    if (text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return invalid_input(what, text, "unclosed '['");
        hp.host = text.substr(1, close - 1);
        hp.bracketed = true;
        if (hp.host.find(':') == std::string_view::npos)
            return invalid_input(what, text, "brackets hold IPv6 addresses only");
        std::string_view rest = text.substr(close + 1);
        if (rest.empty()) return invalid_input(what, text, "missing port after ']'");
        if (rest.front() != ':') return invalid_input(what, text, "unexpected text after ']' (expected ':port')");
        port_text = rest.substr(1);
    } else {
        if (text.find_first_of("[]") != std::string_view::npos)
            return invalid_input(what, text, "stray '[' or ']' (brackets enclose a whole IPv6 address)");
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return invalid_input(what, text, "missing port");
        hp.host = text.substr(0, colon);
        if (hp.host.find(':') != std::string_view::npos)
            return invalid_input(what, text, "an IPv6 address needs brackets before a port, as in \"[::1]:80\"");
        port_text = text.substr(colon + 1);
    }
    if (port_text.empty()) return invalid_input(what, text, "missing port");
    if (!all_digits(port_text)) return invalid_input(what, text, "port is not a decimal number");
    auto port = parse_decimal(port_text, 65535);
    if (!port) return invalid_input(what, text, "port out of range");
    hp.port = static_cast<std::uint16_t>(*port);
    return hp;
}

Result<SocketAddr> parse_ip_literal(std::string_view what, std::string_view input, std::string_view ip,
                                    std::uint16_t port) {
    if (ip.empty()) return invalid_input(what, input, "empty address");
    if (ip.find('\0') != std::string_view::npos) return invalid_input(what, input, "contains a NUL byte");
    if (ip.find(':') != std::string_view::npos) return parse_v6(what, input, ip, port);

    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    char buf[64];
    // inet_pton, unlike inet_aton, takes exactly four decimal octets.
    if (!to_cstr(ip, buf) || ::inet_pton(AF_INET, buf, &sin.sin_addr) != 1) {
        bool dotted = std::all_of(ip.begin(), ip.end(), [](char c) { return is_digit(c) || c == '.'; });
        return invalid_input(what, input,
                             dotted ? "not an IPv4 address (four decimal octets, 0-255)"
                                    : "not an IP address (host names need SocketAddr::resolve)");
    }
    return SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
}

Result<std::optional<SocketAddr>> classify_host_port(std::string_view what, std::string_view text) {
    auto hp = split_host_port(what, text);
    if (!hp) return hp.error_info();
    std::string_view host = hp->host;
    if (!hp->bracketed && host.empty()) return std::optional(SocketAddr::v4_any(hp->port));

    const bool looks_numeric = hp->bracketed || std::all_of(host.begin(), host.end(), [](char c) {
                                   return is_digit(c) || c == '.';
                               });
    if (looks_numeric) {
        // No host name is all digits and dots (RFC 1123 2.1: a top-level
        // label is never numeric), so this was meant as an IPv4 literal.
        auto addr = parse_ip_literal(what, text, host, hp->port);
        if (!addr) return addr.error_info();
        return std::optional(*addr);
    }
    if (std::any_of(host.begin(), host.end(), is_space_or_control))
        return invalid_input(what, text, "host name contains a space or a control byte");
    // getaddrinfo reads anything inet_aton takes ("0x7f.1", "017.1") as a
    // number; refuse those here as parse() does.
    char buf[64];
    in_addr ignored{};
    if (to_cstr(host, buf) && ::inet_aton(buf, &ignored) != 0)
        return invalid_input(what, text, "not an IPv4 address (four decimal octets, 0-255)");
    return std::optional<SocketAddr>();
}

}  // namespace ringo::net::detail
