// SocketAddr's text forms: parse() and parse_ip() on any bytes. What must
// hold: a parsed address is IPv4 or IPv6 and carries the port the text ends
// with; to_string() and ip_string() read back to an equal address and are
// a fixed point (format, parse, format gives the same text); every refusal
// is invalid_address with a message fit for a terminal.
#include "tests/fuzz/fuzz_check.hpp"

#include <ringo/engine/error.hpp>
#include <ringo/net/socket_addr.hpp>

using ringo::net::SocketAddr;

namespace {

// net/src/host_port.cpp quotes at most 200 bytes, 4 bytes each, and a
// message may quote the input and a part of it (a scope id).
constexpr std::size_t max_message = 2 * (4 * 200 + 5) + 200;

void check_refusal(const ringo::Error& e) {
    RINGO_FUZZ_CHECK(e.code() == ringo::errc::invalid_address);
    RINGO_FUZZ_CHECK(ringo::fuzz::tame(e.context(), max_message));
}

void check_round_trip(const SocketAddr& a) {
    RINGO_FUZZ_CHECK(a.is_v4() || a.is_v6());
    const std::string text = a.to_string();
    auto again = SocketAddr::parse(text);
    RINGO_FUZZ_CHECK(again.has_value());
    RINGO_FUZZ_CHECK(*again == a);
    RINGO_FUZZ_CHECK(again->to_string() == text);

    auto ip = SocketAddr::parse_ip(a.ip_string(), a.port());
    RINGO_FUZZ_CHECK(ip.has_value());
    RINGO_FUZZ_CHECK(*ip == a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = ringo::fuzz::as_text(data, size);

    auto addr = SocketAddr::parse(text);
    if (addr) {
        check_round_trip(*addr);
        RINGO_FUZZ_CHECK(static_cast<long>(addr->port()) == ringo::fuzz::port_after_last_colon(text));
    } else {
        check_refusal(addr.error_info());
    }

    // The whole input as a bare address, with a port taken from it.
    const std::uint16_t port = size >= 2 ? static_cast<std::uint16_t>(data[0] << 8 | data[1]) : 0;
    auto ip = SocketAddr::parse_ip(text, port);
    if (ip) {
        check_round_trip(*ip);
        RINGO_FUZZ_CHECK(ip->port() == port);
    } else {
        check_refusal(ip.error_info());
    }
    return 0;
}
