// What Debian 12's liburing 2.3 lacks and ringo uses, shimmed behind the
// RINGO_HAVE_* values compat/meson.build detects (1: liburing has it, use
// it; 0: use the stand-in below). A newer liburing makes each shim step
// aside on its own. Private to the library: never installed, as it includes
// <liburing.h>.
#pragma once

#include <liburing.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <sys/mman.h>

#include <csignal>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#ifndef RINGO_HAVE_IORING_SETUP_NO_SQARRAY
#define RINGO_HAVE_IORING_SETUP_NO_SQARRAY 0
#endif
#ifndef RINGO_HAVE_IORING_RECVSEND_BUNDLE
#define RINGO_HAVE_IORING_RECVSEND_BUNDLE 0
#endif
#ifndef RINGO_HAVE_IO_URING_SETUP_BUF_RING
#define RINGO_HAVE_IO_URING_SETUP_BUF_RING 0
#endif

namespace ringo::compat {

// IORING_SETUP_NO_SQARRAY (linux 6.6): no SQ index array, SQEs in ring order.
#if RINGO_HAVE_IORING_SETUP_NO_SQARRAY
inline constexpr unsigned setup_no_sqarray = IORING_SETUP_NO_SQARRAY;
#else
inline constexpr unsigned setup_no_sqarray = 1U << 16;
#endif

// IORING_RECVSEND_BUNDLE (linux 6.10), in sqe->ioprio of a send or recv that
// selects provided buffers: one request moves several buffers. Older kernels
// answer EINVAL.
#if RINGO_HAVE_IORING_RECVSEND_BUNDLE
inline constexpr unsigned recvsend_bundle = IORING_RECVSEND_BUNDLE;
#else
inline constexpr unsigned recvsend_bundle = 1U << 4;
#endif

// io_uring_setup_buf_ring (liburing 2.4): map memory for a provided-buffer
// ring of `entries` (a power of two) and register it as group `bgid`
// (linux 5.19). Returns nullptr and sets *err (a positive errno) on failure.
inline io_uring_buf_ring* setup_buf_ring(io_uring* ring, unsigned entries, int bgid, int* err) noexcept {
#if RINGO_HAVE_IO_URING_SETUP_BUF_RING
    io_uring_buf_ring* br = io_uring_setup_buf_ring(ring, entries, bgid, 0, err);
    if (!br) *err = -*err;
    return br;
#else
    const std::size_t size = entries * sizeof(io_uring_buf);
    void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        *err = errno;
        return nullptr;
    }
    auto* br = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(br);
    reg.ring_entries = entries;
    reg.bgid = static_cast<__u16>(bgid);
    if (int r = io_uring_register_buf_ring(ring, &reg, 0); r < 0) {
        ::munmap(mem, size);
        *err = -r;
        return nullptr;
    }
    // The tail overlays the first entry's reserved field: start empty.
    io_uring_buf_ring_init(br);
    return br;
#endif
}

// Unregisters and unmaps what setup_buf_ring gave.
inline void free_buf_ring(io_uring* ring, io_uring_buf_ring* br, unsigned entries, int bgid) noexcept {
#if RINGO_HAVE_IO_URING_SETUP_BUF_RING
    io_uring_free_buf_ring(ring, br, entries, bgid);
#else
    io_uring_unregister_buf_ring(ring, bgid);
    ::munmap(br, entries * sizeof(io_uring_buf));
#endif
}

// io_uring_enable_rings: Debian's liburing 2.3 declares it but its shared
// library does not export it. The register opcode is linux 5.10. Returns 0
// or -errno, as liburing does.
inline int enable_rings(io_uring* ring) noexcept {
    long r = ::syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
    return r < 0 ? -errno : 0;
}

// The byte budget of a multishot recv (linux 6.17): the request ends, with
// a last CQE without IORING_CQE_F_MORE, once it has delivered at least this
// many bytes. The kernel reads it from sqe->optlen, which liburing 2.3 names
// file_index (the same word). Older kernels ignore it or refuse
// the request: the probe (multishot_recv_limit) tells which.
inline void set_recv_byte_limit(io_uring_sqe* sqe, std::uint32_t bytes) noexcept { sqe->file_index = bytes; }

// IORING_ENTER_NO_IOWAIT (linux 6.15, IORING_FEAT_NO_IOWAIT): a task
// blocked in io_uring_enter is not counted as waiting for I/O, so an idle
// server does not show 100% iowait. liburing 2.10 has io_uring_set_iowait;
// 2.3 has no way to pass enter flags of our own.
inline constexpr unsigned enter_no_iowait = 1U << 7;
inline constexpr unsigned feat_no_iowait = 1U << 17;

// io_uring_submit_and_wait_timeout as one io_uring_enter with EXT_ARG
// (linux 5.11, which the engine requires), plus `extra` enter flags:
// publishes the SQEs queued since the last submit, hands them to the
// kernel and waits for one completion or the timeout (ts nullptr: none).
// registered: the ring fd is registered (io_uring_register_ring_fd), so
// enter through its index. Returns what io_uring_enter returns: the SQEs
// consumed, or -errno (-ETIME: the timeout passed).
inline int submit_and_wait(io_uring* ring, const __kernel_timespec* ts, bool registered, unsigned extra) noexcept {
    io_uring_sq* sq = &ring->sq;
    const unsigned tail = sq->sqe_tail;
    if (sq->sqe_head != tail) {
        sq->sqe_head = tail;
        io_uring_smp_store_release(sq->ktail, tail);  // the kernel reads the SQEs behind this
    }
    const unsigned to_submit = tail - io_uring_smp_load_acquire(sq->khead);
    io_uring_getevents_arg arg{};
    arg.sigmask_sz = _NSIG / 8;
    arg.ts = reinterpret_cast<std::uintptr_t>(ts);
    unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | extra;
    int fd = ring->ring_fd;
    if (registered) {
        flags |= IORING_ENTER_REGISTERED_RING;
        fd = ring->enter_ring_fd;
    }
    long r = ::syscall(__NR_io_uring_enter, fd, to_submit, 1, flags, &arg, sizeof arg);
    return r < 0 ? -errno : static_cast<int>(r);
}

}  // namespace ringo::compat
