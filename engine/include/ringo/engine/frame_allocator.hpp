// Coroutine frames come from a per-thread cache of size-classed blocks, so a
// task started for every request (read_exact, write_all, a handler) costs no
// malloc in steady state. Frames larger than the biggest class, and every
// frame in sanitizer builds (so ASan still sees use-after-free of a frame),
// go to operator new.
#pragma once

#include <cstddef>

namespace ringo::detail {

void* allocate_frame(std::size_t size);
void deallocate_frame(void* p, std::size_t size) noexcept;

// Mixed into every promise type of ringo's coroutines.
struct PooledFrame {
    static void* operator new(std::size_t size) { return allocate_frame(size); }
    static void operator delete(void* p, std::size_t size) noexcept { deallocate_frame(p, size); }
};

}  // namespace ringo::detail
