// Runtime: one event loop on one thread, over one kernel backend. block_on()
// runs a task (and everything it spawns) to completion on the calling thread.
// Several runtimes may live in one process, one per thread; nothing here is
// global.
#pragma once

#include <ringo/engine/feature.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/runtime_options.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/stats.hpp>
#include <ringo/engine/task.hpp>

#include <memory>

namespace ringo {

class Runtime {
public:
    // Throws ResultError when the requested backend cannot run here (the
    // message says why). Use create() to get the error as a value instead.
    explicit Runtime(RuntimeOptions options = {});
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    static Result<std::unique_ptr<Runtime>> create(RuntimeOptions options = {});
    // The runtime whose block_on is running on this thread, or nullptr:
    // how a task deep in a call chain reaches stats() or stop().
    static Runtime* current() noexcept;

    // Runs task to completion and returns its value (or rethrows). When it
    // returns, every task it spawned has been cancelled and has finished and
    // no operation is in flight. Not reentrant: calling it from inside a
    // task of any runtime on this thread throws std::logic_error. Throws
    // ResultError when the loop cannot go on: the kernel wait failed for
    // good (the error says which), or stop() found the task waiting on
    // something the runtime cannot cancel (operation_canceled).
    template <class T>
    T block_on(Task<T> task) {
        auto handle = enter_and_spawn(std::move(task));
        run_until_done(handle);
        return finish(std::move(handle));
    }

    // Asks block_on to wind down: every task is cancelled (its pending op
    // fails with operation_canceled), and block_on returns once they have
    // unwound. Safe from any thread and from a signal handler. Does nothing
    // while no block_on runs: it never reaches a later block_on.
    void stop() noexcept;

    Backend backend() const noexcept;
    const char* backend_name() const noexcept;
    // Why automatic selection did not pick io_uring; empty if it did.
    const std::string& fallback_reason() const noexcept;
    // The engine fast paths this runtime uses (ringo-probe --list names them).
    FeatureSet fast_paths() const noexcept;
    Stats stats() const noexcept;
    const RuntimeOptions& options() const noexcept;

private:
    template <class T>
    JoinHandle<T> enter_and_spawn(Task<T> task) {
        enter();
        try {
            auto h = spawn(std::move(task));
            watch_root(&h.st_->done);
            return h;
        } catch (...) {
            leave();
            throw;
        }
    }
    template <class T>
    void run_until_done(const JoinHandle<T>& h) {
        try {
            run([&] { return h.done(); });
        } catch (...) {
            leave();
            throw;
        }
    }
    template <class T>
    T finish(JoinHandle<T> h);

    void enter();
    void leave() noexcept;
    void watch_root(const bool* done) noexcept;
    // Runs loop turns until done() holds, then winds down the other tasks.
    template <class F>
    void run(F done) {
        while (!done() && !halted()) turn();
        drain();
    }
    void turn();
    void drain();
    bool halted() const noexcept;
    [[noreturn]] void throw_unfinished() const;

    std::unique_ptr<detail::Core> core_;
};

template <class T>
T Runtime::finish(JoinHandle<T> h) {
    struct Leave {
        Runtime* rt;
        ~Leave() { rt->leave(); }
    } leave_guard{this};
    if (!h.done()) throw_unfinished();
    // The task is done, so the join completes without suspending.
    auto joiner = std::move(h).operator co_await();
    auto r = joiner.await_resume();
    if constexpr (std::is_void_v<T>) {
        r.value();
    } else {
        return std::move(r).value();
    }
}

}  // namespace ringo
