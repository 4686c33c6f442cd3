// The "host:port" frame that SocketAddr::parse, SocketAddr::resolve and
// resolve_async share (net/src/host_port.hpp), without any lookup. What
// must hold: a split gives the port the text ends with and a host with no
// ':' outside brackets, and the host and port put back together split the
// same way; classify_host_port (resolve's "literal, name, or neither")
// agrees with parse(): a literal exactly when parse() takes the text, and
// an equal address; a name only where parse() refuses.
#include "tests/fuzz/fuzz_check.hpp"

#include "net/src/host_port.hpp"

#include <ringo/engine/error.hpp>
#include <ringo/net/socket_addr.hpp>

#include <string>

using ringo::net::SocketAddr;
namespace detail = ringo::net::detail;

namespace {

// net/src/host_port.cpp quotes at most 200 bytes, 4 bytes each, and a
// message may quote the input and a part of it (a scope id).
constexpr std::size_t max_message = 2 * (4 * 200 + 5) + 200;

void check_split(std::string_view text) {
    auto hp = detail::split_host_port("fuzz", text);
    if (!hp) {
        RINGO_FUZZ_CHECK(hp.error() == ringo::errc::invalid_address);
        RINGO_FUZZ_CHECK(ringo::fuzz::tame(hp.error_info().context(), max_message));
        return;
    }
    RINGO_FUZZ_CHECK(static_cast<long>(hp->port) == ringo::fuzz::port_after_last_colon(text));
    if (hp->bracketed) RINGO_FUZZ_CHECK(hp->host.find(']') == std::string_view::npos);
    else RINGO_FUZZ_CHECK(hp->host.find_first_of(":[]") == std::string_view::npos);

    const std::string host(hp->host);
    const std::string rebuilt =
        (hp->bracketed ? "[" + host + "]" : host) + ":" + std::to_string(hp->port);
    auto again = detail::split_host_port("fuzz", rebuilt);
    RINGO_FUZZ_CHECK(again.has_value());
    RINGO_FUZZ_CHECK(again->host == hp->host);
    RINGO_FUZZ_CHECK(again->port == hp->port);
    RINGO_FUZZ_CHECK(again->bracketed == hp->bracketed);
}

void check_classify(std::string_view text) {
    auto kind = detail::classify_host_port("fuzz", text);
    auto parsed = SocketAddr::parse(text);
    const bool literal = kind && kind->has_value();
    RINGO_FUZZ_CHECK(literal == parsed.has_value());
    if (literal) RINGO_FUZZ_CHECK(**kind == *parsed);
    if (!kind) {
        RINGO_FUZZ_CHECK(kind.error() == ringo::errc::invalid_address);
        RINGO_FUZZ_CHECK(ringo::fuzz::tame(kind.error_info().context(), max_message));
        return;
    }
    if (literal) return;
    // A name to look up: never empty, and nothing getaddrinfo would mangle.
    auto hp = detail::split_host_port("fuzz", text);
    RINGO_FUZZ_CHECK(hp.has_value() && !hp->bracketed && !hp->host.empty());
    for (char c : hp->host) RINGO_FUZZ_CHECK(static_cast<unsigned char>(c) > ' ' && c != '\x7f');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = ringo::fuzz::as_text(data, size);
    check_split(text);
    check_classify(text);
    return 0;
}
