// FdEpochs: a counter per fd number, moved on whenever the number may name
// a new file: a close through the runtime, an fd opened outside it
// (io::opened), an fd a completion brought in (accept, SCM_RIGHTS). A
// pooled read handed back on readiness is stamped with its fd's epoch; if
// the epoch moved before the read runs, the file it was readable on is
// gone (the number may be another socket's by now), so the read is
// canceled, as a close cancels every op on its fd. One mechanism for both
// backends: neither keeps its own record of closes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ringo::detail {

class FdEpochs {
public:
    void bump(int fd) noexcept {
        // Beyond the table: no read was ever stamped under this number.
        if (fd >= 0 && static_cast<std::size_t>(fd) < epochs_.size()) ++epochs_[static_cast<std::size_t>(fd)];
    }

    // The epoch of fd into out; false when memory for the table cannot be had.
    bool stamp(int fd, std::uint32_t& out) noexcept {
        if (fd < 0) return false;
        const auto i = static_cast<std::size_t>(fd);
        if (i >= epochs_.size()) {
            try {
                epochs_.resize(std::max(i + 1, epochs_.size() * 2));
            } catch (...) {
                return false;
            }
        }
        out = epochs_[i];
        return true;
    }

    bool moved(int fd, std::uint32_t stamp) const noexcept {
        const auto i = static_cast<std::size_t>(fd);
        return fd < 0 || i >= epochs_.size() || epochs_[i] != stamp;
    }

private:
    std::vector<std::uint32_t> epochs_;
};

}  // namespace ringo::detail
