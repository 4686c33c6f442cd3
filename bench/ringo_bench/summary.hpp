// Noise-aware summaries: a figure over several rounds is its median and its
// range; two figures compare as the ratio of medians, and when their ranges
// overlap the ratio is not a result, it is "within noise".
#pragma once

#include <string>
#include <vector>

namespace ringo_bench {

struct Spread {
    double median = 0, min = 0, max = 0;
    int n = 0;  // rounds that gave a number
};

// NaN values (unknown in a round) are left out.
Spread spread(std::vector<double> values);

struct Ratio {
    double value = 0;       // a.median / b.median
    double lo = 0, hi = 0;  // a.min / b.max .. a.max / b.min: the ratio the ranges allow
    bool noise = true;      // the ranges overlap (or a side is unknown)
};

// a relative to b, "higher is better" for a when higher_is_better, else the
// ratio is taken the other way round (b / a) so that > 1 still favours a.
Ratio compare(const Spread& a, const Spread& b, bool higher_is_better);
// "0.93x", or "within noise".
std::string describe(const Ratio& r);

}  // namespace ringo_bench
