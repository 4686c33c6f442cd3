#include "histogram.hpp"

namespace ringo_bench {

void LatencyHistogram::merge(const LatencyHistogram& o) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
}

std::uint64_t LatencyHistogram::lower_bound(std::size_t i) noexcept {
    if (i < sub_count) return i;
    auto e = static_cast<int>(i / sub_count) + sub_bits - 1;
    auto sub = i % sub_count;
    return (sub_count | sub) << (e - sub_bits);
}

std::uint64_t LatencyHistogram::width(std::size_t i) noexcept {
    if (i < sub_count) return 1;
    auto e = static_cast<int>(i / sub_count) + sub_bits - 1;
    return std::uint64_t{1} << (e - sub_bits);
}

std::uint64_t LatencyHistogram::percentile(double q) const noexcept {
    if (total_ == 0) return 0;
    // The rank of the sample we want, 1-based: p50 of 4 samples is the 2nd.
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.5);
    if (rank < 1) rank = 1;
    if (rank > total_) rank = total_;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += counts_[i];
        if (seen >= rank) return lower_bound(i) + width(i) / 2;
    }
    return 0;
}

}  // namespace ringo_bench
