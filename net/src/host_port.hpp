// The text side of socket addresses, shared by SocketAddr (parse, resolve)
// and resolve_async: splitting "host:port", reading ports and IP literals,
// telling literals from host names, and error contexts that quote the
// input. Nothing here blocks.
#pragma once

#include <ringo/engine/result.hpp>
#include <ringo/net/socket_addr.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringo::net::detail {

// The input as it goes into an error context: in double quotes, bytes that
// are not printable ASCII as \xNN, cut at 200 bytes ("..." then follows).
std::string quote(std::string_view input);

// errc::invalid_address, context `what "input": why`.
Error invalid_input(std::string_view what, std::string_view input, std::string_view why);

// "host:port" split apart. host is what stood between the brackets when
// there were any ("[::1]:80" gives "::1").
struct HostPort {
    std::string_view host;
    std::uint16_t port = 0;
    bool bracketed = false;
};

// The frame around the host: brackets, the ':' and the port. The host itself
// is not checked here, except that it holds no ':' outside brackets.
Result<HostPort> split_host_port(std::string_view what, std::string_view text);

// An IP literal: IPv4 as four dotted decimal octets, IPv6 with an optional
// "%scope" (interface name or number). input is quoted in errors.
Result<SocketAddr> parse_ip_literal(std::string_view what, std::string_view input, std::string_view ip,
                                    std::uint16_t port);

// For resolve and resolve_async: the address when text is a literal,
// nullopt when it names a host to look up, invalid_address when it is
// neither (bad frame, bad port, a host that getaddrinfo would read as an
// inet_aton number such as "1.2.3" or "0x7f.1", spaces or control bytes).
Result<std::optional<SocketAddr>> classify_host_port(std::string_view what, std::string_view text);

}  // namespace ringo::net::detail
