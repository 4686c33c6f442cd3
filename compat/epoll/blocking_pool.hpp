// BlockingPool: a few threads that run the reads and writes epoll cannot
// wait for (regular files are always "ready", yet a read may sleep on the
// disk). The loop hands an op over and gets it back through a done list; a
// thread that finishes one wakes the loop through its backend's wake().
#pragma once

#include "engine/backend/op_queue.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace ringo::detail {

class IoBackend;

class BlockingPool {
public:
    explicit BlockingPool(IoBackend& waker, unsigned threads = 2) noexcept : waker_(waker), max_threads_(threads) {}
    ~BlockingPool() { shutdown(); }
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    // Queues op. 0, or an errno when not one thread could be started.
    int submit(Op& op) noexcept;
    // The ops finished since the last call, oldest first, linked through
    // Op::next, each with op.result set. Loop thread only.
    Op* take_completed() noexcept;
    // Joins the threads. The loop has taken back every op it submitted.
    void shutdown() noexcept;

private:
    int start_threads() noexcept;
    void run() noexcept;

    IoBackend& waker_;
    unsigned max_threads_;
    std::mutex mu_;
    std::condition_variable work_;
    OpQueue queue_;  // guarded by mu_
    OpQueue done_;   // guarded by mu_
    bool stopping_ = false;
    std::vector<std::thread> threads_;  // loop thread only
};

}  // namespace ringo::detail
