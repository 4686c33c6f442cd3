// Regular files, which epoll cannot wait on, so the epoll backend reads and
// writes them on its blocking pool (compat/epoll/blocking_pool.*), on every
// backend: reads and writes at offsets and at the file position, more reads
// at once than the pool has threads, a close while reads are in flight
// (never EBADF under a read), and a runtime torn down with file reads in
// flight and recvs parked, which must end cleanly. None leaks an fd.
#include "fd_support.hpp"
#include "harness.hpp"

#include <ringo/engine/io.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/time.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

using ringo::Task;
namespace io = ringo::io;

namespace {

using ringo::test::bytes_of;
using ringo::test::close_all;
using ringo::test::is_canceled;
using ringo::test::Pair;
using ringo::test::recv_one;
using ringo::test::socket_pair;
using ringo::test::temp_file;

// Every coroutine here awaits first and asserts on the value after
// (fd_support.hpp says why).

}  // namespace

TEST_CASE("regular files are read and written at offsets through io::read and io::write", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    int fd = temp_file();
    auto data = ringo::test::random_bytes(256 << 10, 3);
    ringo::test::run(backend, [&]() -> Task<> {
        auto w = co_await io::write(fd, data, 0);
        REQUIRE(w.has_value());
        REQUIRE(*w == data.size());

        std::vector<std::byte> back(data.size());
        auto r = co_await io::read(fd, back, 0);
        REQUIRE(r.has_value());
        REQUIRE(*r == data.size());
        CHECK((back == data));

        std::byte mid[100];
        r = co_await io::read(fd, mid, 1000);
        REQUIRE(r.has_value());
        REQUIRE(*r == sizeof mid);
        CHECK(std::equal(mid, mid + sizeof mid, data.begin() + 1000));

        r = co_await io::read(fd, mid, data.size());  // at the end: EOF
        REQUIRE(r.has_value());
        CHECK(*r == 0);

        // UINT64_MAX: the file position, which the writes above left at 0.
        w = co_await io::write(fd, bytes_of("abc"), UINT64_MAX);
        REQUIRE(w.has_value());
        CHECK(*w == 3);
        char head[4] = {};
        REQUIRE(::pread(fd, head, 3, 0) == 3);
        CHECK(std::string_view(head) == "abc");
        CHECK(::lseek(fd, 0, SEEK_CUR) == 3);

        // Many at once: more than the pool has threads.
        std::vector<ringo::JoinHandle<bool>> readers;
        for (std::size_t i = 0; i < 16; ++i) {
            readers.push_back(
                ringo::spawn([](int f, std::size_t off, const std::vector<std::byte>& d) -> Task<bool> {
                    std::vector<std::byte> buf(4096);
                    auto n = co_await io::read(f, buf, off);
                    co_return n.has_value() && *n == buf.size() &&
                        std::equal(buf.begin(), buf.end(), d.begin() + off);
                }(fd, 8192 + i * 4096, data)));
        }
        for (auto& h : readers) {
            auto ok = co_await h;
            CHECK((ok.has_value() && *ok));
        }
        co_await close_all(fd);
    });
}

TEST_CASE("closing a file while reads of it are in flight never fails them with EBADF", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    int fd = temp_file();
    auto data = ringo::test::random_bytes(1 << 20, 4);
    REQUIRE(::pwrite(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
    ringo::test::run(backend, [&]() -> Task<> {
        std::vector<ringo::JoinHandle<ringo::Result<bool>>> readers;
        for (int i = 0; i < 8; ++i) {
            readers.push_back(
                ringo::spawn([](int f, const std::vector<std::byte>& d) -> Task<ringo::Result<bool>> {
                    std::vector<std::byte> buf(d.size());
                    auto n = co_await io::read(f, buf, 0);
                    if (!n) co_return n.error_info();
                    co_return *n == d.size() && buf == d;
                }(fd, data)));
        }
        co_await ringo::yield();  // every read is with the kernel (or the pool) now
        auto closed = co_await io::close(fd);
        CHECK(closed.has_value());
        for (auto& h : readers) {
            auto r = co_await h;
            REQUIRE(r.has_value());
            // The close may cancel a read that has not started (io_uring);
            // it must never pull the fd from under one.
            if (r->has_value()) CHECK(**r);
            else CHECK(is_canceled(r->error()));
        }
    });
}

TEST_CASE("a runtime torn down with recvs parked and file reads in flight ends cleanly", "[compat][epoll]") {
    auto backend = GENERATE(from_range(ringo::test::backends()));
    ringo::test::FdLeakCheck leaks;
    int file = temp_file();
    REQUIRE(::ftruncate(file, 1 << 20) == 0);
    std::vector<Pair> pairs;
    for (int i = 0; i < 8; ++i) pairs.push_back(socket_pair());
    ringo::test::run(backend, [&]() -> Task<> {
        for (auto& p : pairs) ringo::spawn(recv_one(p.a)).detach();
        for (int i = 0; i < 4; ++i) {
            ringo::spawn([](int f) -> Task<> {
                std::vector<std::byte> buf(1 << 20);
                (void)co_await io::read(f, buf, 0);
            }(file))
                .detach();
        }
        co_await ringo::yield();
        // Returning now: block_on cancels the tasks and waits for their ops.
    });
    for (auto& p : pairs) {
        ::close(p.a);  // the runtime that waited on them is gone
        ::close(p.b);
    }
    ::close(file);
}
