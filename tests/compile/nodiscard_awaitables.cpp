// Compiled by tests/meson.build twice: as is it must compile; with
// -DDISCARD=N the N-th statement drops an awaitable without co_await, and
// -Werror must refuse it ([[nodiscard]]): `s.close();` once compiled
// quietly, did nothing, and leaked the fd.
#include <ringo/engine/io.hpp>
#include <ringo/engine/task.hpp>
#include <ringo/engine/time.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <chrono>

#ifndef DISCARD
#define DISCARD 0
#endif

ringo::Task<> user(ringo::net::TcpStream& s, ringo::net::TcpListener& l) {
    using namespace std::chrono_literals;
#if DISCARD == 1
    s.close();
#elif DISCARD == 2
    s.write(std::string_view("x"));
#elif DISCARD == 3
    ringo::sleep_for(1s);
#elif DISCARD == 4
    l.accept();
#elif DISCARD == 5
    s.read_borrowed();
#elif DISCARD == 6
    s.write_all(std::string_view("x"));
#else
    (void)co_await s.write(std::string_view("x"));
    (void)co_await ringo::sleep_for(1ms);
    (void)co_await l.accept();
    (void)co_await s.close();
#endif
    co_return;
}
