// The feature table: names, summaries, kernel releases, and which features
// are engine fast paths. Names are part of ringo's interface (RINGO_DISABLE,
// ringo-probe --require, --json keys): rename none, only add.
#include <ringo/engine/feature.hpp>

#include "engine/src/quote.hpp"

#include <array>

namespace ringo {
namespace {

struct Entry {
    Feature feature;
    const char* name;
    const char* since;
    bool fast_path;
    const char* summary;
};

constexpr std::array<Entry, feature_count> table{{
    {Feature::io_uring, "io_uring", "5.19", false,
     "io_uring usable: the engine's ring sets up and nop/accept/connect/send/recv/cancel/close round-trip"},
    {Feature::sqpoll, "sqpoll", "5.11", false,
     "IORING_SETUP_SQPOLL: a kernel thread polls the submission queue"},
    {Feature::coop_taskrun, "coop_taskrun", "5.19", true,
     "IORING_SETUP_COOP_TASKRUN: completions run at the next kernel entry, no IPI (ring ladder step 2)"},
    {Feature::taskrun_flag, "taskrun_flag", "5.19", false,
     "IORING_SETUP_TASKRUN_FLAG: the ring flags pending completion work"},
    {Feature::single_issuer, "single_issuer", "6.0", false,
     "IORING_SETUP_SINGLE_ISSUER: one thread submits, the kernel skips its locking"},
    {Feature::defer_taskrun, "defer_taskrun", "6.1", true,
     "IORING_SETUP_DEFER_TASKRUN: completions run only when the loop waits (ring ladder step 1)"},
    {Feature::submit_all, "submit_all", "5.18", false,
     "IORING_SETUP_SUBMIT_ALL: a failing SQE does not stop the rest of the batch"},
    {Feature::cqsize, "cqsize", "5.5", false,
     "IORING_SETUP_CQSIZE: a completion queue larger than twice the SQ"},
    {Feature::no_sqarray, "no_sqarray", "6.6", false, "IORING_SETUP_NO_SQARRAY: SQEs consumed in ring order"},
    {Feature::multishot_accept, "multishot_accept", "5.19", true,
     "one accept request serves many connections (IORING_ACCEPT_MULTISHOT)"},
    {Feature::multishot_recv, "multishot_recv", "6.0", true,
     "one recv request per stream delivers into provided buffers (IORING_RECV_MULTISHOT): read-ahead for borrowed reads"},
    {Feature::buf_ring, "buf_ring", "5.19", true,
     "a provided-buffer ring feeds borrowed reads; the kernel picks a buffer when data arrives (IORING_REGISTER_PBUF_RING)"},
    {Feature::send_zc, "send_zc", "6.0", false, "zero-copy send with a notification (IORING_OP_SEND_ZC)"},
    {Feature::registered_ring_fd, "registered_ring_fd", "5.18", true,
     "the ring fd is registered, saving an fd lookup per kernel entry (IORING_REGISTER_RING_FDS)"},
    {Feature::fixed_files, "fixed_files", "5.19", false,
     "a sparse fixed-file table registers (IORING_RSRC_REGISTER_SPARSE)"},
    {Feature::msg_ring, "msg_ring", "5.18", false,
     "one ring posts a completion to another (IORING_OP_MSG_RING)"},
    {Feature::recvsend_bundle, "recvsend_bundle", "6.10", false,
     "one send or recv moves several provided buffers (IORING_RECVSEND_BUNDLE)"},
    {Feature::multishot_recv_limit, "multishot_recv_limit", "6.17", true,
     "a multishot recv ends after a byte budget (sqe->optlen): read-ahead bounded without a cancel"},
    {Feature::no_iowait, "no_iowait", "6.15", true,
     "the loop blocked in io_uring_enter is not counted as iowait (IORING_ENTER_NO_IOWAIT)"},
    {Feature::speculative_send, "speculative_send", "", true,
     "try send(2) in place before queuing it on the ring (needs no kernel feature)"},
    {Feature::epoll, "epoll", "2.6", false, "epoll instances can be created (the fallback backend)"},
    {Feature::epoll_pwait2, "epoll_pwait2", "5.11", false, "epoll_pwait2: waits with a nanosecond timeout"},
}};

constexpr bool table_in_order() {
    for (std::size_t i = 0; i < table.size(); ++i)
        if (static_cast<std::size_t>(table[i].feature) != i) return false;
    return true;
}
static_assert(table_in_order(), "the feature table follows enum Feature");

const Entry* entry(Feature f) noexcept {
    auto i = static_cast<std::size_t>(f);
    return i < table.size() ? &table[i] : nullptr;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

const char* feature_name(Feature f) noexcept { return entry(f) ? entry(f)->name : "?"; }
const char* feature_summary(Feature f) noexcept { return entry(f) ? entry(f)->summary : ""; }
const char* feature_since(Feature f) noexcept { return entry(f) ? entry(f)->since : ""; }
bool is_fast_path(Feature f) noexcept { return entry(f) && entry(f)->fast_path; }

std::optional<Feature> parse_feature(std::string_view name) noexcept {
    for (const Entry& e : table)
        if (name == e.name) return e.feature;
    return std::nullopt;
}

FeatureSet FeatureSet::fast_paths() noexcept {
    FeatureSet s;
    for (const Entry& e : table)
        if (e.fast_path) s.add(e.feature);
    return s;
}

Result<FeatureSet> parse_feature_list(std::string_view list) {
    FeatureSet set;
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string_view item = trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (item.empty()) continue;
        if (item == "all") {
            set.add(FeatureSet::fast_paths());
        } else if (auto f = parse_feature(item)) {
            set.add(*f);
        } else {
            // item is the user's text: quoted, so a control byte or a
            // 10 KB entry cannot reach a terminal or log raw.
            return Error(std::make_error_code(std::errc::invalid_argument),
                         "unknown feature " + detail::quoted(item) + " (valid: all, " + valid_feature_names() + ")");
        }
    }
    return set;
}

std::string format_feature_list(FeatureSet set) {
    std::string out;
    for (const Entry& e : table) {
        if (!set.has(e.feature)) continue;
        if (!out.empty()) out += ',';
        out += e.name;
    }
    return out;
}

std::string valid_feature_names() {
    std::string out;
    for (const Entry& e : table) {
        if (!out.empty()) out += ", ";
        out += e.name;
    }
    return out;
}

}  // namespace ringo
