#include <ringo/engine/frame_allocator.hpp>

#include <array>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define RINGO_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RINGO_FRAME_POOL 0
#endif
#endif
#ifndef RINGO_FRAME_POOL
#define RINGO_FRAME_POOL 1
#endif

namespace ringo::detail {
namespace {

constexpr std::size_t granule = 64;
constexpr std::size_t classes = 32;          // frames up to 2 KiB are cached
constexpr std::size_t max_cached_per_class = 4096;

struct FreeBlock {
    FreeBlock* next;
};

// One per thread: each runtime runs on one thread, so no locking. A frame
// freed on another thread simply joins that thread's cache.
struct FrameCache {
    std::array<FreeBlock*, classes> head{};
    std::array<std::size_t, classes> count{};

    ~FrameCache() {
        for (auto* b : head) {
            while (b) {
                auto* next = b->next;
                ::operator delete(b);
                b = next;
            }
        }
    }
};

thread_local FrameCache cache;

}  // namespace

void* allocate_frame(std::size_t size) {
#if RINGO_FRAME_POOL
    std::size_t c = (size + granule - 1) / granule;
    if (c < classes) {
        if (auto* b = cache.head[c]) {
            cache.head[c] = b->next;
            --cache.count[c];
            return b;
        }
        return ::operator new(c * granule);
    }
#endif
    return ::operator new(size);
}

void deallocate_frame(void* p, [[maybe_unused]] std::size_t size) noexcept {
#if RINGO_FRAME_POOL
    std::size_t c = (size + granule - 1) / granule;
    if (c < classes && cache.count[c] < max_cached_per_class) {
        auto* b = static_cast<FreeBlock*>(p);
        b->next = cache.head[c];
        cache.head[c] = b;
        ++cache.count[c];
        return;
    }
#endif
    ::operator delete(p);
}

}  // namespace ringo::detail
