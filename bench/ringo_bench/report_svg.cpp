// The plot, written by hand as SVG (no plotting dependency): for each
// message size and depth, msgs/s against connections with a line per server
// and the min-max range as a bar (top row), and latency beneath it: the p99
// median as a line, a whisker from p50 to p99.9.
#include "cell_summary.hpp"
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace ringo_bench {
namespace {

constexpr double panel_w = 300, panel_h = 210, gap_x = 70, gap_y = 80, left = 80, top = 90;

struct Style {
    const char* color;
    const char* dash;
};

Style style_of(const ServerSpec& s, std::size_t i) {
    // io_uring warm, epoll cool; ringo solid, raw baselines dashed.
    if (s.name == "ringo-uring") return {"#c0392b", ""};
    if (s.name == "raw-uring") return {"#e67e22", "6 4"};
    if (s.name == "ringo-epoll") return {"#1f5fa8", ""};
    if (s.name == "raw-epoll") return {"#16a085", "6 4"};
    static const char* other[] = {"#7d3c98", "#7f8c8d", "#2c3e50"};
    return {other[i % 3], "2 3"};
}

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '&') o += "&amp;";
        else if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else o += c;
    }
    return o;
}

// x position of a connection count: log scale over the values plotted.
struct XAxis {
    double lo, hi, x0;
    double at(double v) const {
        if (hi <= lo) return x0 + panel_w / 2;
        return x0 + 20 + (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo)) * (panel_w - 40);
    }
};

void frame(std::string& out, double x0, double y0, const std::string& title, const std::string& ylabel) {
    out += fmt::format("<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#888'/>\n", x0, y0, panel_w,
                       panel_h);
    out += fmt::format("<text x='{}' y='{}' text-anchor='middle' font-weight='bold'>{}</text>\n", x0 + panel_w / 2,
                       y0 - 8, esc(title));
    out += fmt::format("<text transform='translate({},{}) rotate(-90)' text-anchor='middle'>{}</text>\n", x0 - 55,
                       y0 + panel_h / 2, esc(ylabel));
}

void x_ticks(std::string& out, const XAxis& xa, const std::vector<int>& conns, double y0) {
    for (int c : conns) {
        double x = xa.at(c);
        out += fmt::format("<line x1='{0}' y1='{1}' x2='{0}' y2='{2}' stroke='#888'/>\n", x, y0 + panel_h,
                           y0 + panel_h + 4);
        out += fmt::format("<text x='{}' y='{}' text-anchor='middle'>{}</text>\n", x, y0 + panel_h + 16, c);
    }
    out += fmt::format("<text x='{}' y='{}' text-anchor='middle'>connections</text>\n", xa.x0 + panel_w / 2,
                       y0 + panel_h + 32);
}

std::string path(const std::vector<std::pair<double, double>>& pts, const Style& st, double width) {
    if (pts.size() < 2) return {};
    std::string d;
    for (std::size_t i = 0; i < pts.size(); ++i) d += fmt::format("{}{:.1f},{:.1f} ", i ? "L" : "M", pts[i].first, pts[i].second);
    return fmt::format("<path d='{}' fill='none' stroke='{}' stroke-width='{}' stroke-dasharray='{}'/>\n", d, st.color,
                       width, st.dash);
}

}  // namespace

std::string to_svg(const MatrixResult& m, const RunInfo& info) {
    // Panels: one per (size, depth), in the order the cells first name them.
    std::vector<std::pair<int, int>> groups;
    for (auto& c : m.cells)
        if (std::find(groups.begin(), groups.end(), std::pair{c.size, c.depth}) == groups.end())
            groups.emplace_back(c.size, c.depth);
    const double width = left + static_cast<double>(groups.size()) * (panel_w + gap_x) + 20;
    const double height = top + 2 * panel_h + gap_y + 70;

    std::string out = fmt::format(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{0}' height='{1}' viewBox='0 0 {0} {1}' "
        "font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n",
        width, height);
    out += fmt::format("<text x='{}' y='22' font-size='15' font-weight='bold'>ringo-bench: echo over loopback "
                       "(median of {} rounds, bars: min-max)</text>\n",
                       left, m.rounds);
    out += fmt::format("<text x='{}' y='40'>kernel {}, {} cpus, load average {:.2f} before / {:.2f} after; {}</text>\n",
                       left, esc(info.kernel), info.cpus, info.load_before.empty() ? 0.0 : info.load_before[0],
                       info.load_after.empty() ? 0.0 : info.load_after[0], esc(info.started));
    // Legend.
    for (std::size_t s = 0; s < m.servers.size(); ++s) {
        auto st = style_of(m.servers[s], s);
        double x = left + static_cast<double>(s) * 140;
        out += fmt::format("<line x1='{}' y1='58' x2='{}' y2='58' stroke='{}' stroke-width='2.5' "
                           "stroke-dasharray='{}'/>\n",
                           x, x + 28, st.color, st.dash);
        out += fmt::format("<text x='{}' y='62'>{}</text>\n", x + 34, esc(m.servers[s].name));
    }

    for (std::size_t g = 0; g < groups.size(); ++g) {
        auto [size, depth] = groups[g];
        std::vector<std::size_t> cells;
        std::vector<int> conns;
        for (std::size_t c = 0; c < m.cells.size(); ++c)
            if (m.cells[c].size == size && m.cells[c].depth == depth) {
                cells.push_back(c);
                conns.push_back(m.cells[c].connections);
            }
        std::vector<std::size_t> order(cells.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return conns[a] < conns[b]; });
        std::vector<int> sorted_conns;
        for (auto i : order) sorted_conns.push_back(conns[i]);

        const double x0 = left + static_cast<double>(g) * (panel_w + gap_x);
        XAxis xa{static_cast<double>(sorted_conns.front()), static_cast<double>(sorted_conns.back()), x0};
        std::map<std::size_t, ServerSummary> sums;  // by cell index * servers + server
        double ymax = 0, lat_lo = INFINITY, lat_hi = 0;
        for (auto c : cells)
            for (std::size_t s = 0; s < m.servers.size(); ++s) {
                auto sum = summarize(m.samples[c][s]);
                if (sum.msgs.n) ymax = std::max(ymax, sum.msgs.max);
                if (sum.p50.n) lat_lo = std::min(lat_lo, sum.p50.median);
                if (sum.p999.n) lat_hi = std::max(lat_hi, sum.p999.median);
                sums[c * m.servers.size() + s] = sum;
            }
        if (ymax <= 0) ymax = 1;
        ymax *= 1.1;
        if (!(lat_lo > 0)) lat_lo = 1;
        if (lat_hi <= lat_lo) lat_hi = lat_lo * 10;
        const double llo = std::floor(std::log10(lat_lo)), lhi = std::ceil(std::log10(lat_hi));

        // Throughput panel.
        const double ty = top;
        frame(out, x0, ty, fmt::format("{} B, depth {}", size, depth), "msgs/s");
        for (int k = 0; k <= 4; ++k) {
            double v = ymax * k / 4, y = ty + panel_h - panel_h * k / 4;
            out += fmt::format("<line x1='{0}' y1='{2}' x2='{1}' y2='{2}' stroke='#eee'/>\n", x0, x0 + panel_w, y);
            out += fmt::format("<text x='{}' y='{}' text-anchor='end'>{}</text>\n", x0 - 4, y + 4, si(v));
        }
        x_ticks(out, xa, sorted_conns, ty);
        // Latency panel.
        const double ly = top + panel_h + gap_y;
        frame(out, x0, ly, fmt::format("{} B, depth {}: latency", size, depth), "microseconds (log)");
        auto lat_y = [&](double us) { return ly + panel_h - (std::log10(us) - llo) / (lhi - llo) * panel_h; };
        for (double d = llo; d <= lhi; d += 1) {
            double y = lat_y(std::pow(10, d));
            out += fmt::format("<line x1='{0}' y1='{2}' x2='{1}' y2='{2}' stroke='#eee'/>\n", x0, x0 + panel_w, y);
            out += fmt::format("<text x='{}' y='{}' text-anchor='end'>{}</text>\n", x0 - 4, y + 4, si(std::pow(10, d)));
        }
        x_ticks(out, xa, sorted_conns, ly);

        for (std::size_t s = 0; s < m.servers.size(); ++s) {
            auto st = style_of(m.servers[s], s);
            double dx = (static_cast<double>(s) - (static_cast<double>(m.servers.size()) - 1) / 2) * 5;
            std::vector<std::pair<double, double>> tput, p99;
            for (auto i : order) {
                const auto& sum = sums[cells[i] * m.servers.size() + s];
                double x = xa.at(conns[i]) + dx;
                auto y_of = [&](double v) { return ty + panel_h - v / ymax * panel_h; };
                if (sum.msgs.n) {
                    tput.emplace_back(x, y_of(sum.msgs.median));
                    out += fmt::format("<line x1='{0:.1f}' y1='{1:.1f}' x2='{0:.1f}' y2='{2:.1f}' stroke='{3}'/>\n", x,
                                       y_of(sum.msgs.min), y_of(sum.msgs.max), st.color);
                    out += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='2.5' fill='{}'/>\n", x,
                                       y_of(sum.msgs.median), st.color);
                }
                if (sum.p99.n) {
                    p99.emplace_back(x, lat_y(sum.p99.median));
                    out += fmt::format("<line x1='{0:.1f}' y1='{1:.1f}' x2='{0:.1f}' y2='{2:.1f}' stroke='{3}'/>\n", x,
                                       lat_y(sum.p50.median), lat_y(sum.p999.median), st.color);
                    out += fmt::format("<circle cx='{:.1f}' cy='{:.1f}' r='2' fill='white' stroke='{}'/>\n", x,
                                       lat_y(sum.p50.median), st.color);
                    out += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='5' height='5' fill='{}'/>\n", x - 2.5,
                                       lat_y(sum.p99.median) - 2.5, st.color);
                }
            }
            out += path(tput, st, 2);
            out += path(p99, st, 1.5);
        }
    }
    out += fmt::format("<text x='{}' y='{}'>latency: square = p99 (joined), open circle = p50, whisker to "
                       "p99.9; ranks from one histogram per round, ~1% precision</text>\n",
                       left, height - 12);
    out += "</svg>\n";
    return out;
}

}  // namespace ringo_bench
