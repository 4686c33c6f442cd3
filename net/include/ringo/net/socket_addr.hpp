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

#include <cstddef>
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

// Takes the string specs `[[fill]align][width][s]`, e.g. "{:>21}", "{:*^30}".
// Not derived from formatter<std::string_view>: its parse(), inlined into
// every caller, makes g++ 12 at -O3 report a false -Wstringop-overflow in
// fmt 9.1's fill_t, which breaks a consumer built with werror. Anything else
// (precision, a width from an argument) is a format_error, at compile time
// for a checked format string.
template <>
struct fmt::formatter<ringo::net::SocketAddr> {
    template <class ParseContext>
    constexpr auto parse(ParseContext& ctx) -> decltype(ctx.begin()) {
        auto it = ctx.begin();
        const auto end = ctx.end();
        auto is_align = [](char c) { return c == '<' || c == '>' || c == '^'; };
        if (it != end && *it != '}') {
            // The fill is one UTF-8 character, its length told by its first byte.
            const auto lead = static_cast<unsigned char>(*it);
            const std::size_t fill_size = lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
            if (static_cast<std::size_t>(end - it) > fill_size && is_align(it[fill_size]) && *it != '{') {
                for (std::size_t i = 0; i < fill_size; ++i) fill_[i] = it[i];
                fill_size_ = fill_size;
                it += static_cast<std::ptrdiff_t>(fill_size);
            }
            if (is_align(*it)) align_ = *it++;
        }
        while (it != end && *it >= '0' && *it <= '9') {
            if (width_ == 0 && *it == '0') throw fmt::format_error("SocketAddr: '0' (zero padding) is for numbers");
            width_ = width_ * 10 + static_cast<std::size_t>(*it++ - '0');
            if (width_ > 1'000'000) throw fmt::format_error("SocketAddr: width too large");
        }
        if (it != end && *it == 's') ++it;
        if (it != end && *it != '}') throw fmt::format_error("SocketAddr: specs are [[fill]align][width][s]");
        return it;
    }

    template <class FormatContext>
    auto format(const ringo::net::SocketAddr& addr, FormatContext& ctx) const -> decltype(ctx.out()) {
        const std::string text = addr.to_string();  // ASCII: its size is its width
        const std::size_t pad = width_ > text.size() ? width_ - text.size() : 0;
        const std::size_t before = align_ == '>' ? pad : align_ == '^' ? pad / 2 : 0;
        auto out = fill(ctx.out(), before);
        for (char c : text) *out++ = c;
        return fill(out, pad - before);
    }

private:
    template <class Out>
    Out fill(Out out, std::size_t n) const {
        for (; n > 0; --n)
            for (std::size_t i = 0; i < fill_size_; ++i) *out++ = fill_[i];
        return out;
    }

    char fill_[4] = {' ', 0, 0, 0};
    std::size_t fill_size_ = 1;
    char align_ = '<';
    std::size_t width_ = 0;
};
