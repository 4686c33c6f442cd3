// LatencyHistogram: log-linear buckets (HdrHistogram's layout, fixed to
// 128 sub-buckets per power of two), so any value from 1 ns to centuries is
// kept within 1/128 (< 0.8%) of itself in 58 KiB, and record() is a
// shift and an add: cheap enough to call once per echoed message.
#pragma once

#include <array>
#include <cstdint>

namespace ringo_bench {

class LatencyHistogram {
public:
    static constexpr int sub_bits = 7;
    static constexpr std::uint64_t sub_count = 1u << sub_bits;
    static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub_count;

    void record(std::uint64_t ns) noexcept {
        ++counts_[index_of(ns)];
        ++total_;
    }
    void clear() noexcept {
        counts_.fill(0);
        total_ = 0;
    }
    void merge(const LatencyHistogram& o) noexcept;
    std::uint64_t count() const noexcept { return total_; }
    // The value below which a fraction q (0..1) of the samples lie: the
    // middle of that sample's bucket. 0 when empty.
    std::uint64_t percentile(double q) const noexcept;

    static std::size_t index_of(std::uint64_t v) noexcept {
        if (v < sub_count) return static_cast<std::size_t>(v);
        int e = 63 - __builtin_clzll(v);  // >= sub_bits
        auto sub = (v >> (e - sub_bits)) & (sub_count - 1);
        return static_cast<std::size_t>(e - sub_bits + 1) * sub_count + sub;
    }
    // The smallest value of bucket i and the bucket's width.
    static std::uint64_t lower_bound(std::size_t i) noexcept;
    static std::uint64_t width(std::size_t i) noexcept;

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t total_ = 0;
};

}  // namespace ringo_bench
