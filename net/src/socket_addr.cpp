#include <ringo/net/socket_addr.hpp>

#include "net/src/host_port.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cerrno>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <netdb.h>

namespace ringo::net {

SocketAddr::SocketAddr() noexcept = default;

Result<SocketAddr> SocketAddr::parse(std::string_view text) {
    auto hp = detail::split_host_port("parse", text);
    if (!hp) return hp.error_info();
    if (hp->host.empty() && !hp->bracketed) return v4_any(hp->port);
    return detail::parse_ip_literal("parse", text, hp->host, hp->port);
}

Result<SocketAddr> SocketAddr::parse_ip(std::string_view ip, std::uint16_t port) {
    return detail::parse_ip_literal("parse_ip", ip, ip, port);
}

Result<SocketAddr> SocketAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
    if (!sa) return Error(errc::invalid_address, "from_sockaddr: null address");
    if (len < static_cast<socklen_t>(sizeof(sa_family_t)))
        return Error(errc::invalid_address, fmt::format("from_sockaddr: length {} holds no address family", len));
    sa_family_t family;
    std::memcpy(&family, reinterpret_cast<const char*>(sa) + offsetof(sockaddr, sa_family), sizeof family);

    // Copy field by field: sin_zero and padding stay zero, so equal
    // addresses are equal bytes too.
    SocketAddr out;
    if (family == AF_INET) {
        if (len < static_cast<socklen_t>(sizeof(sockaddr_in)))
            return Error(errc::invalid_address,
                         fmt::format("from_sockaddr: length {} is too short for AF_INET (needs {})", len,
                                     sizeof(sockaddr_in)));
        sockaddr_in in;
        std::memcpy(&in, sa, sizeof in);
        out.storage_.v4.sin_family = AF_INET;
        out.storage_.v4.sin_port = in.sin_port;
        out.storage_.v4.sin_addr = in.sin_addr;
        return out;
    }
    if (family == AF_INET6) {
        if (len < static_cast<socklen_t>(sizeof(sockaddr_in6)))
            return Error(errc::invalid_address,
                         fmt::format("from_sockaddr: length {} is too short for AF_INET6 (needs {})", len,
                                     sizeof(sockaddr_in6)));
        sockaddr_in6 in6;
        std::memcpy(&in6, sa, sizeof in6);
        out.storage_.v6.sin6_family = AF_INET6;
        out.storage_.v6.sin6_port = in6.sin6_port;
        out.storage_.v6.sin6_flowinfo = in6.sin6_flowinfo;
        out.storage_.v6.sin6_addr = in6.sin6_addr;
        out.storage_.v6.sin6_scope_id = in6.sin6_scope_id;
        return out;
    }
    return Error(errc::invalid_address,
                 fmt::format("from_sockaddr: address family {} is neither AF_INET nor AF_INET6", family));
}

Result<std::vector<SocketAddr>> SocketAddr::resolve(std::string_view host_port) {
    auto target = detail::classify_host_port("resolve", host_port);
    if (!target) return target.error_info();
    if (*target) return std::vector<SocketAddr>{**target};

    auto hp = detail::split_host_port("resolve", host_port);  // cannot fail: classify did it
    const std::string host(hp->host);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    // One entry per address, not one per socket type. No AI_ADDRCONFIG: on a
    // host with only loopback up it hides "localhost".
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &raw);
    if (rc != 0) {
        const char* why = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
        return Error(errc::resolve_failed, fmt::format("resolve {}: {}", detail::quote(host_port), why));
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(raw, ::freeaddrinfo);
    std::vector<SocketAddr> out;
    for (const addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
        auto addr = from_sockaddr(ai->ai_addr, ai->ai_addrlen);
        if (!addr) continue;  // a family we do not carry
        auto a = addr->with_port(hp->port);
        if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    if (out.empty())
        return Error(errc::resolve_failed,
                     fmt::format("resolve {}: no IPv4 or IPv6 address", detail::quote(host_port)));
    return out;
}

SocketAddr SocketAddr::v4_loopback(std::uint16_t port) noexcept {
    SocketAddr a = v4_any(port);
    a.storage_.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

SocketAddr SocketAddr::v6_loopback(std::uint16_t port) noexcept {
    SocketAddr a = v6_any(port);
    a.storage_.v6.sin6_addr = in6addr_loopback;
    return a;
}

SocketAddr SocketAddr::v4_any(std::uint16_t port) noexcept {
    SocketAddr a;
    a.storage_.v4.sin_family = AF_INET;
    a.storage_.v4.sin_port = htons(port);
    a.storage_.v4.sin_addr.s_addr = htonl(INADDR_ANY);
    return a;
}

SocketAddr SocketAddr::v6_any(std::uint16_t port) noexcept {
    SocketAddr a;
    a.storage_.v6.sin6_family = AF_INET6;
    a.storage_.v6.sin6_port = htons(port);
    a.storage_.v6.sin6_addr = in6addr_any;
    return a;
}

// sin_family and sin6_family share offset and type (the union's common
// initial sequence), so either member names the family.
int SocketAddr::family() const noexcept { return storage_.v6.sin6_family; }

std::uint16_t SocketAddr::port() const noexcept {
    switch (family()) {
    case AF_INET: return ntohs(storage_.v4.sin_port);
    case AF_INET6: return ntohs(storage_.v6.sin6_port);
    default: return 0;
    }
}

SocketAddr SocketAddr::with_port(std::uint16_t port) const noexcept {
    SocketAddr a = *this;
    if (a.is_v4()) a.storage_.v4.sin_port = htons(port);
    else if (a.is_v6()) a.storage_.v6.sin6_port = htons(port);
    return a;
}

socklen_t SocketAddr::size() const noexcept {
    switch (family()) {
    case AF_INET: return sizeof(sockaddr_in);
    case AF_INET6: return sizeof(sockaddr_in6);
    default: return 0;
    }
}

std::string SocketAddr::ip_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) {
        ::inet_ntop(AF_INET, &storage_.v4.sin_addr, buf, sizeof buf);
        return buf;
    }
    if (is_v6()) {
        ::inet_ntop(AF_INET6, &storage_.v6.sin6_addr, buf, sizeof buf);
        std::string s = buf;
        if (storage_.v6.sin6_scope_id != 0) s += fmt::format("%{}", storage_.v6.sin6_scope_id);
        return s;
    }
    return {};
}

std::string SocketAddr::to_string() const {
    if (is_v4()) return fmt::format("{}:{}", ip_string(), port());
    if (is_v6()) return fmt::format("[{}]:{}", ip_string(), port());
    return "(unspecified)";
}

bool operator==(const SocketAddr& a, const SocketAddr& b) noexcept {
    if (a.family() != b.family()) return false;
    if (a.is_v4())
        return a.storage_.v4.sin_port == b.storage_.v4.sin_port &&
               a.storage_.v4.sin_addr.s_addr == b.storage_.v4.sin_addr.s_addr;
    if (a.is_v6())
        return a.storage_.v6.sin6_port == b.storage_.v6.sin6_port &&
               std::memcmp(&a.storage_.v6.sin6_addr, &b.storage_.v6.sin6_addr, sizeof(in6_addr)) == 0 &&
               a.storage_.v6.sin6_scope_id == b.storage_.v6.sin6_scope_id &&
               a.storage_.v6.sin6_flowinfo == b.storage_.v6.sin6_flowinfo;
    return true;  // both empty
}

}  // namespace ringo::net
