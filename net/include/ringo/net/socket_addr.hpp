// SocketAddr: an IPv4 or IPv6 address with a port, as bind(2) and connect(2)
// take it. A plain value: copyable, comparable, no allocation.
//
// Text forms. parse() takes literals only ("1.2.3.4:80", "[::1]:80",
// "[fe80::1%eth0]:80", ":80" for 0.0.0.0:80) and never touches the network;
// IPv4 must be four dotted decimal octets (inet_pton, not inet_aton's "1.2.3"
// or "0x7f.1"). resolve() also takes host names and blocks in getaddrinfo.
// Every malformed input is errc::invalid_address with a context that quotes
// the input: `parse "1.2.3.4:99999": port out of range`.
#pragma once

#include <ringo/engine/result.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

namespace ringo::net {

class SocketAddr {
public:
    // The empty address: family() == AF_UNSPEC, size() == 0.
    SocketAddr() noexcept;

    // "1.2.3.4:80", "[::1]:80", "[fe80::1%eth0]:80" (scope id by interface
    // name or number), ":80" (0.0.0.0:80). The port (0..65535) is required.
    static Result<SocketAddr> parse(std::string_view text);
    // An address without brackets or port: "1.2.3.4", "::1", "fe80::1%2".
    static Result<SocketAddr> parse_ip(std::string_view ip, std::uint16_t port);
    // AF_INET or AF_INET6 only; len must cover the family's sockaddr.
    static Result<SocketAddr> from_sockaddr(const sockaddr* sa, socklen_t len);

    static SocketAddr v4_loopback(std::uint16_t port) noexcept;  // 127.0.0.1
    static SocketAddr v6_loopback(std::uint16_t port) noexcept;  // ::1
    static SocketAddr v4_any(std::uint16_t port) noexcept;       // 0.0.0.0
    static SocketAddr v6_any(std::uint16_t port) noexcept;       // ::

    // BLOCKING name resolution through getaddrinfo: it may wait seconds on
    // DNS. Do not call it on a loop thread in a hot path; resolve_async()
    // (ringo/net/resolve.hpp) runs it off the loop. Takes "host:port"
    // ("localhost:80", "[::1]:80") and every literal parse() takes, which it
    // answers without a lookup. Syntax errors are errc::invalid_address; a
    // name that does not resolve is errc::resolve_failed, with getaddrinfo's
    // text and the input in the context. Addresses come in getaddrinfo's
    // order, without duplicates.
    static Result<std::vector<SocketAddr>> resolve(std::string_view host_port);

    int family() const noexcept;  // AF_INET, AF_INET6 or AF_UNSPEC
    bool is_v4() const noexcept { return family() == AF_INET; }
    bool is_v6() const noexcept { return family() == AF_INET6; }
    std::uint16_t port() const noexcept;
    // The same address with another port (the empty address stays empty).
    SocketAddr with_port(std::uint16_t port) const noexcept;

    // "1.2.3.4", "::1", "fe80::1%2" (scope id as a number); "" when empty.
    std::string ip_string() const;
    // "1.2.3.4:80", "[::1]:80"; "(unspecified)" when empty. parse() reads
    // every such string back to an equal address (flow info aside).
    std::string to_string() const;

    // For bind/connect: the sockaddr and its length (sizeof(sockaddr_in),
    // sizeof(sockaddr_in6), or 0 when empty).
    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    socklen_t size() const noexcept;

    // Same family, address, port, and for IPv6 scope id and flow info.
    friend bool operator==(const SocketAddr& a, const SocketAddr& b) noexcept;

private:
    // sockaddr_in6 first: value-initialising the union zeroes all of it.
    union Storage {
        sockaddr_in6 v6;
        sockaddr_in v4;
    };
    Storage storage_{};
};

}  // namespace ringo::net

template <>
struct fmt::formatter<ringo::net::SocketAddr> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const ringo::net::SocketAddr& addr, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(addr.to_string(), ctx);
    }
};
