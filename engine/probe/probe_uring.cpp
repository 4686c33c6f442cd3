// The engine's ring, as the engine sets it up, and what it tells about the
// kernel: the setup ladder step that takes, the IORING_FEAT_* flags, and the
// opcode table. Then each setup flag alone on a throw-away ring.
#include "engine/probe/probe_parts.hpp"

#include "compat/uring/uring_shims.hpp"
#include "engine/probe/ring_ladder.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace ringo::detail::probe {
namespace {

// The engine's default queue depth (RuntimeOptions::queue_depth), so a
// limit that would stop the engine's ring stops this one too.
constexpr unsigned engine_entries = 256;

// Opcodes the io_uring backend submits (engine/uring/uring_backend.cpp).
constexpr std::array<std::uint8_t, 12> ringo_opcodes{
    IORING_OP_NOP,   IORING_OP_ACCEPT,  IORING_OP_CONNECT,  IORING_OP_RECV,
    IORING_OP_SEND,  IORING_OP_RECVMSG, IORING_OP_SENDMSG,  IORING_OP_READ,
    IORING_OP_WRITE, IORING_OP_CLOSE,   IORING_OP_SHUTDOWN, IORING_OP_ASYNC_CANCEL,
};

// io_uring_setup(2) itself, no liburing: a flag test needs no mapping, and
// liburing 2.3 would map an SQ array that NO_SQARRAY rings do not have.
int try_setup(unsigned flags) noexcept {
    io_uring_params p{};
    p.flags = flags;
    if (flags & IORING_SETUP_CQSIZE) p.cq_entries = 16;
    long fd = ::syscall(__NR_io_uring_setup, 4, &p);
    if (fd < 0) return errno;
    ::close(static_cast<int>(fd));
    return 0;
}

}  // namespace

long probe_uring_setup(ProbeReport& report) {
    UringReport& u = report.uring;
    for (unsigned flags : ring_ladder) {
        Ring ring;
        int err = ring.init(engine_entries, flags);
        u.ladder.push_back({flags, err});
        if (err == 0) {
            u.setup_flags = flags;
            u.setup_error = 0;
            u.feature_flags = ring.features();
            probe_opcodes(report, ring);
            return flags;
        }
        u.setup_error = err;
        if (err != EINVAL) break;  // as the engine: only EINVAL means "try fewer flags"
    }
    return -1;
}

void probe_opcodes(ProbeReport& report, Ring& ring) {
    io_uring_probe* p = io_uring_get_probe_ring(ring.get());
    if (!p) return;
    for (unsigned op = 0; op <= p->last_op; ++op) {
        UringReport::Opcode o;
        o.code = static_cast<std::uint8_t>(op);
        o.supported = io_uring_opcode_supported(p, static_cast<int>(op));
        o.used_by_ringo = std::find(ringo_opcodes.begin(), ringo_opcodes.end(), op) != ringo_opcodes.end();
        report.uring.opcodes.push_back(o);
    }
    io_uring_free_probe(p);
}

void probe_setup_flags(ProbeReport& report) {
    struct Try {
        Feature feature;
        unsigned flags;  // with what the flag cannot go without
    };
    const Try tries[] = {
        {Feature::sqpoll, IORING_SETUP_SQPOLL},
        {Feature::coop_taskrun, IORING_SETUP_COOP_TASKRUN},
        {Feature::taskrun_flag, IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG},
        {Feature::single_issuer, IORING_SETUP_SINGLE_ISSUER},
        {Feature::defer_taskrun, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN},
        {Feature::submit_all, IORING_SETUP_SUBMIT_ALL},
        {Feature::cqsize, IORING_SETUP_CQSIZE},
        {Feature::no_sqarray, compat::setup_no_sqarray},
    };
    for (const Try& t : tries) {
        int err = try_setup(t.flags);
        auto& status = report.features[static_cast<std::size_t>(t.feature)];
        if (err == 0) status = supported();
        else if (err == EINVAL)
            status = unsupported(
                err, std::string("the kernel does not know it (linux ") + feature_since(t.feature) + ")");
        else status = unsupported(err, "io_uring_setup refused");
    }
}

}  // namespace ringo::detail::probe
