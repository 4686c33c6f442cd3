// Ownership of an op in the pool: from submit() until take_completed() hands
// it back, a pool thread may read the op's arguments and write op.result and
// op.next; the loop thread touches neither (cancel() leaves pool ops alone,
// the core writes only waiter/scope/abandoned fields). The mutex orders the
// thread's writes before the loop's read of the done list.
#include "compat/epoll/blocking_pool.hpp"

#include "compat/epoll/op_syscall.hpp"

#include "engine/backend/io_backend.hpp"

#include <cerrno>
#include <csignal>
#include <pthread.h>

namespace ringo::detail {

int BlockingPool::start_threads() noexcept {
    // Started on first use: a runtime that never reads a file owns no
    // thread. Signals stay blocked in them, so a process signal reaches the
    // threads that expect it, never a worker in the middle of a pread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = 0;
    try {
        threads_.reserve(max_threads_);
        while (threads_.size() < max_threads_) threads_.emplace_back([this] { run(); });
    } catch (...) {
        err = EAGAIN;  // std::system_error or bad_alloc: run on what we have
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return threads_.empty() ? err : 0;
}

int BlockingPool::submit(Op& op) noexcept {
    if (threads_.size() < max_threads_) {
        if (int err = start_threads(); err != 0) return err;
    }
    {
        std::lock_guard lock(mu_);
        queue_.push(op);
    }
    work_.notify_one();
    return 0;
}

Op* BlockingPool::take_completed() noexcept {
    std::lock_guard lock(mu_);
    return done_.take_all();
}

void BlockingPool::run() noexcept {
    std::unique_lock lock(mu_);
    for (;;) {
        work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        Op* op = queue_.pop();
        if (!op) return;  // stopping, and nothing left to do
        lock.unlock();
        // A regular file never says EAGAIN; if an odd one does, report it
        // rather than spin on a thread.
        if (!run_syscall(*op)) op->result = -EAGAIN;
        lock.lock();
        done_.push(*op);
        lock.unlock();
        waker_.wake();  // the backend outlives us: its destructor joins the pool first
        lock.lock();
    }
}

void BlockingPool::shutdown() noexcept {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    work_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
}

}  // namespace ringo::detail
