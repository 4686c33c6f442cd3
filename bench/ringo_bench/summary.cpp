#include "summary.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ringo_bench {

Spread spread(std::vector<double> v) {
    std::erase_if(v, [](double x) { return std::isnan(x); });
    Spread s;
    s.n = static_cast<int>(v.size());
    if (v.empty()) {
        s.median = s.min = s.max = std::nan("");
        return s;
    }
    std::sort(v.begin(), v.end());
    auto mid = v.size() / 2;
    s.median = v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    s.min = v.front();
    s.max = v.back();
    return s;
}

Ratio compare(const Spread& a, const Spread& b, bool higher_is_better) {
    Ratio r;
    if (a.n == 0 || b.n == 0 || b.median == 0 || a.median == 0) {
        r.value = r.lo = r.hi = std::nan("");
        return r;
    }
    if (higher_is_better) {
        r.value = a.median / b.median;
        r.lo = a.min / b.max;
        r.hi = b.min > 0 ? a.max / b.min : INFINITY;
    } else {
        r.value = b.median / a.median;
        r.lo = b.min / a.max;
        r.hi = a.min > 0 ? b.max / a.min : INFINITY;
    }
    r.noise = !(a.max < b.min || b.max < a.min);
    return r;
}

std::string describe(const Ratio& r) {
    if (std::isnan(r.value)) return "n/a";
    if (r.noise) return "within noise";
    return fmt::format("{:.2f}x", r.value);
}

}  // namespace ringo_bench
