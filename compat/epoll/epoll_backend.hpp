// EpollBackend: ringo's readiness loop over edge-triggered epoll, turned into
// completions, for kernels or sandboxes without a usable io_uring.
#pragma once

#include "engine/backend/backend_context.hpp"
#include "engine/backend/io_backend.hpp"
#include "compat/epoll/blocking_pool.hpp"
#include "compat/epoll/poll_desc.hpp"

#include <ringo/engine/result.hpp>

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace ringo::detail {

class EpollBackend final : public IoBackend {
public:
    // Fails (backend_unavailable, naming the syscall and errno) only when
    // the epoll fd or the wake eventfd cannot be had.
    static Result<std::unique_ptr<IoBackend>> create(BackendContext ctx);
    ~EpollBackend() override;

    Backend kind() const noexcept override { return Backend::epoll; }
    const char* name() const noexcept override { return "epoll"; }
    bool start(Op& op) noexcept override;
    void cancel(Op& op) noexcept override;
    int poll(std::int64_t timeout_ns) noexcept override;
    void wake() noexcept override;
    void recycle_buffer(std::uint32_t bid) noexcept override;
    void fd_opened(int fd) noexcept override;

private:
    explicit EpollBackend(BackendContext ctx);
    int init(const char*& failed_call) noexcept;

    bool start_polled(Op& op, PollDesc& pd, Direction d) noexcept;
    bool start_file_io(Op& op, PollDesc& pd) noexcept;
    bool start_close(Op& op) noexcept;
    bool attempt(Op& op, PollDesc& pd, Direction d) noexcept;
    int register_fd(PollDesc& pd, int fd) noexcept;
    void note_new_fds(const Op& op) noexcept;
    void close_fd(Op& op, PollDesc* pd) noexcept;

    int wait(std::int64_t timeout_ns) noexcept;
    void dispatch(const epoll_event& ev) noexcept;
    void retry_waiters(PollDesc& pd, Direction d) noexcept;
    void cancel_waiters(PollDesc& pd) noexcept;
    void reap_pool() noexcept;
    void consume_wake() noexcept;

    BackendContext ctx_;
    PollDescTable descs_;
    BlockingPool pool_;
    std::vector<epoll_event> events_;  // one wait's batch: queue_depth events
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::uint32_t parked_ = 0;          // ops in waiter queues
    std::uint32_t pool_in_flight_ = 0;  // ops with the blocking pool
    bool use_pwait2_ = true;            // epoll_pwait2 until the kernel says ENOSYS
    std::atomic<bool> wake_pending_{false};
};

}  // namespace ringo::detail
