#include "engine/backend/op_pool.hpp"

#include <new>

namespace ringo::detail {

Op* OpPool::acquire() noexcept {
    if (!free_) {
        try {
            auto base = capacity();
            chunks_.reserve(chunks_.size() + 1);
            auto chunk = std::unique_ptr<Op[]>(new Op[chunk_size]);
            // Thread the new slots onto the free list in index order.
            for (std::uint32_t i = chunk_size; i-- > 0;) {
                chunk[i].index = base + i;
                chunk[i].generation = 1;  // 0 never names a live op
                chunk[i].next = free_;
                free_ = &chunk[i];
            }
            chunks_.push_back(std::move(chunk));
        } catch (const std::bad_alloc&) {
            return nullptr;
        }
    }
    Op* op = free_;
    free_ = op->next;
    op->next = nullptr;
    ++in_use_;
    return op;
}

void OpPool::release(Op* op) noexcept {
    auto index = op->index;
    auto gen = op->generation + 1;
    if (gen == 0) gen = 1;
    *op = Op{};
    op->index = index;
    op->generation = gen;
    op->next = free_;
    free_ = op;
    --in_use_;
}

}  // namespace ringo::detail
