#include <ringo/engine/error.hpp>

namespace ringo {
namespace {

class RingoCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "ringo"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::operation_canceled: return "operation canceled";
        case errc::timed_out: return "timed out";
        case errc::closed: return "closed";
        case errc::unexpected_eof: return "unexpected end of stream";
        case errc::invalid_address: return "invalid socket address";
        case errc::resolve_failed: return "host name did not resolve";
        case errc::backend_unavailable: return "backend unavailable";
        case errc::no_runtime: return "no ringo runtime on this thread";
        }
        return "unknown ringo error";
    }

    // Lets callers compare against the portable conditions, so
    // `ec == std::errc::operation_canceled` holds for ringo's cancel too.
    std::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<errc>(ev)) {
        case errc::operation_canceled: return std::errc::operation_canceled;
        case errc::timed_out: return std::errc::timed_out;
        default: return {ev, *this};
        }
    }
};

}  // namespace

const std::error_category& ringo_category() noexcept {
    static const RingoCategory category;
    return category;
}

}  // namespace ringo
