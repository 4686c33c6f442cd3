// EchoPattern: the bytes every connection sends, so that every echoed byte
// can be checked without keeping a copy of what was sent.
//
// Connection c's stream is the pattern read from offset base(c) on, wrapping
// at `period`. The pattern is stored twice in a row, so any span of up to
// `period` bytes starting anywhere in the first copy is contiguous: sends
// take it straight from here, and checks are one memcmp. Each connection
// starts at a different offset, so an echo sent down the wrong connection
// fails the check too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ringo_bench {

class EchoPattern {
public:
    static constexpr std::size_t period = std::size_t{1} << 20;

    EchoPattern() : bytes_(2 * period) {
        std::uint64_t x = 0x9E3779B97F4A7C15ull;  // xorshift64: not random, just not repetitive
        for (std::size_t i = 0; i < period; ++i) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes_[i] = bytes_[i + period] = static_cast<unsigned char>(x);
        }
    }

    static std::uint64_t base(std::size_t conn) noexcept { return (conn * 0x9E3779B1ull) % period; }

    // `len` (<= period) bytes of a stream that starts at `base`, from `offset` on.
    const unsigned char* at(std::uint64_t base, std::uint64_t offset) const noexcept {
        return bytes_.data() + (base + offset) % period;
    }
    bool matches(std::uint64_t base, std::uint64_t offset, const unsigned char* data, std::size_t len) const noexcept {
        return std::memcmp(at(base, offset), data, len) == 0;
    }

private:
    std::vector<unsigned char> bytes_;
};

}  // namespace ringo_bench
