// OpPool: the slab that owns every Op. Slots never move (chunks of fixed
// size), so a pointer to an in-flight op stays valid; a slot's generation
// changes each time it is freed, so a completion carrying an old
// (index, generation) pair is recognised as stale and dropped.
#pragma once

#include <ringo/engine/op.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace ringo::detail {

class OpPool {
public:
    static constexpr std::uint32_t chunk_size = 256;

    // nullptr only when memory for a new chunk cannot be had.
    Op* acquire() noexcept;
    void release(Op* op) noexcept;

    // The op named by user_data, or nullptr if that slot has moved on.
    Op* lookup(std::uint64_t user_data) noexcept {
        auto index = static_cast<std::uint32_t>(user_data);
        auto gen = static_cast<std::uint32_t>(user_data >> 32);
        if (index >= capacity()) return nullptr;
        Op* op = &chunks_[index / chunk_size][index % chunk_size];
        return op->generation == gen ? op : nullptr;
    }
    static std::uint64_t user_data(const Op& op) noexcept {
        return (std::uint64_t{op.generation} << 32) | op.index;
    }

    std::uint32_t capacity() const noexcept { return static_cast<std::uint32_t>(chunks_.size()) * chunk_size; }
    std::uint32_t in_use() const noexcept { return in_use_; }

private:
    std::vector<std::unique_ptr<Op[]>> chunks_;
    Op* free_ = nullptr;
    std::uint32_t in_use_ = 0;
};

}  // namespace ringo::detail
