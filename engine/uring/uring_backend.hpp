// UringBackend: ringo's proactor over io_uring (liburing).
#pragma once

#include "engine/backend/backend_context.hpp"
#include "engine/backend/io_backend.hpp"
#include "engine/uring/multishot_accept.hpp"
#include "engine/uring/multishot_recv.hpp"

#include <ringo/engine/result.hpp>

#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <sys/types.h>
#include <vector>

namespace ringo::detail {

class UringBackend final : public IoBackend, private MultishotAccept::Hooks, private MultishotRecv::Hooks {
public:
    // Sets up the ring with the richest flags the kernel accepts among
    // those `allowed` permits (the probe's verdict: engine/probe/verdict.cpp),
    // and uses only the fast paths in `allowed`. The error names the syscall
    // and the errno when the ring cannot be had at all.
    static Result<std::unique_ptr<IoBackend>> create(BackendContext ctx, FeatureSet allowed);
    ~UringBackend() override;

    Backend kind() const noexcept override { return Backend::uring; }
    const char* name() const noexcept override { return "io_uring"; }
    bool start(Op& op) noexcept override;
    void cancel(Op& op) noexcept override;
    int poll(std::int64_t timeout_ns) noexcept override;
    void wake() noexcept override;
    FeatureSet fast_paths() const noexcept override;
    void recycle_buffer(std::uint32_t bid) noexcept override;
    void fd_opened(int fd) noexcept override;
    bool holds_data_for(const Op& op) const noexcept override {
        return multishot_recv_ && recv_.holds_data_for(op);
    }
    int enter_thread() noexcept override;
    void leave_thread() noexcept override;
    Error thread_error(int err) const override;

    unsigned setup_flags() const noexcept { return setup_flags_; }

private:
    UringBackend(BackendContext ctx, FeatureSet allowed);
    int init();
    int activate() noexcept;
    // Room for n SQEs (submitting what is queued if need be); false when the
    // ring refuses submits, with submit_error_ set.
    bool make_room(unsigned n) noexcept;
    io_uring_sqe* get_sqe() noexcept;  // nullptr: as make_room
    bool no_sqe(Op& op) noexcept;      // fails op with submit_error_; true
    unsigned reap() noexcept;  // CQEs seen
    void dispatch(const io_uring_cqe& cqe) noexcept;
    bool arm_wake() noexcept;
    void prep_single_accept(Op& op, io_uring_sqe* sqe) noexcept;
    bool start_recv_pooled(Op& op) noexcept;
    void on_readable(Op& op, int res) noexcept;

    // MultishotAccept::Hooks and MultishotRecv::Hooks
    io_uring_sqe* sqe() noexcept override { return get_sqe(); }
    void complete(Op& op, int result) noexcept override;
    void finished(Op& op) noexcept override { complete(op, op.result); }
    void give_back(std::uint32_t bid) noexcept override { recycle_buffer(bid); }
    void resubmit(Op& op) noexcept override;
    // Queues op as one SQE of its kind (the plain path of every kernel op);
    // false when the ring refuses submits, with op.result set.
    bool queue_sqe(Op& op) noexcept;

    BackendContext ctx_;
    const FeatureSet allowed_;       // fast paths the verdict allows; decided once, here
    io_uring ring_{};
    bool ring_ready_ = false;
    bool active_ = false;       // enabled and proven (activate)
    pid_t owner_tid_ = 0;       // SINGLE_ISSUER: the thread that enabled the ring
    int submit_error_ = 0;      // errno of the last submit the ring refused
    int probe_result_ = 0;      // activate()'s nop: 1 pending, else its result
    unsigned setup_flags_ = 0;
    bool cqe_skip_ = false;          // IORING_FEAT_CQE_SKIP: cancels post nothing on success
    std::uint32_t in_flight_ = 0;    // ops of the core, not our internal ones
    int wake_fd_ = -1;
    std::uint64_t wake_buf_ = 0;     // the kernel writes here: lives as long as the ring
    bool wake_armed_ = false;
    std::atomic<bool> wake_pending_{false};
    bool multishot_accept_ = false;
    // What the last recv on a stream fd said about the socket (from
    // IORING_CQE_F_SOCK_NONEMPTY, linux 5.19): still holding data, or
    // drained. Indexed by fd; a stale entry after fd reuse only costs one
    // needless try or one early poll, never a wrong result.
    enum class SockState : std::uint8_t { unknown, nonempty, drained };
    std::vector<SockState> sock_state_;
    SockState sock_state(int fd) const noexcept {
        return fd >= 0 && static_cast<std::size_t>(fd) < sock_state_.size() ? sock_state_[fd] : SockState::unknown;
    }
    void set_sock_state(int fd, SockState s) noexcept;
    bool try_recv_inline(Op& op) noexcept;
    // One recv(MSG_DONTWAIT) in place, counted as an inline syscall, with the
    // socket's state updated from what it got: bytes, or -errno, where
    // -EAGAIN (and EINTR) means the socket had nothing.
    int recv_in_place(int fd, void* buf, std::uint32_t len, int flags) noexcept;
    bool speculative_send_ = false;
    bool no_iowait_ = false;  // the wait passes IORING_ENTER_NO_IOWAIT (linux 6.15)
    // Pooled reads. With a provided-buffer ring (linux 5.19) the kernel
    // picks a buffer when data arrives; without one (disabled, or its
    // registration failed) a POLL_ADD waits for readiness and the recv runs
    // in place with a buffer from the pool's stack. Decided at the first
    // buffer that enters circulation, before any read can use either.
    static constexpr int buf_group = 0;
    bool buf_ring_allowed_ = false;
    bool buf_ring_decided_ = false;
    io_uring_buf_ring* buf_ring_ = nullptr;
    unsigned buf_ring_entries_ = 0;
    // A few free buffers kept out of the ring for in-place reads of sockets
    // the last CQE said still hold data (as try_recv_inline does for owned
    // buffers). They go back to the ring as soon as a read finds it empty.
    static constexpr std::size_t max_spares = 8;
    std::vector<std::uint32_t> spares_;
    void return_spares() noexcept;
    bool try_recv_pooled_inline(Op& op) noexcept;
    bool reaping_ = false;  // get_sqe must not reap from inside reap
    bool ring_fd_registered_ = false;  // for the block_on running now
    bool ring_fd_refused_ = false;     // the kernel said no once: do not ask again
    MultishotAccept accept_{*this};
    // Read-ahead for stream reads (multishot receive, linux 6.0), on when
    // the buffer ring is and the verdict allows it.
    bool multishot_recv_allowed_ = false;
    bool multishot_recv_ = false;
    MultishotRecv recv_;
};

}  // namespace ringo::detail
