// TCP helpers shared by the net tests: a loopback listener on a free port,
// its address, and a connected (client, server) pair.
#pragma once

#include <ringo/engine/runtime_options.hpp>
#include <ringo/engine/task.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <string>
#include <utility>
#include <vector>

namespace ringo::test {

net::TcpListener listen_any();
net::SocketAddr addr_of(const net::TcpListener& l);

struct StreamPair {
    net::TcpStream client;
    net::TcpStream server;
};
// Accepts `count` connections on l, runs handler on each as its own task,
// and returns once all have ended.
Task<> serve_each(net::TcpListener& l, int count, Task<> (*handler)(net::TcpStream));

// Connects to l and accepts that connection; fails the test if either fails.
Task<StreamPair> connected_pair(net::TcpListener& l);

// Where borrowed reads can run: every backend, and on io_uring with
// read-ahead (multishot receive with the kernel's byte budget), with one
// recv per read from the provided-buffer ring (kernels before 6.17), and
// without the ring (the poll-then-recv path older kernels get).
struct ReadVariant {
    Backend backend;
    bool buf_ring = true;
    const char* disable = "";  // RINGO_DISABLE for this variant
};
std::vector<ReadVariant> read_variants();
RuntimeOptions read_options(ReadVariant v, ReadBufferOptions buffers = {});
std::string describe(ReadVariant v);

// A plain non-blocking TCP socket, and a connect(2) of it done in place
// (loopback completes at once): for tests that must choose when a socket
// takes its fd number and when its connection reaches the listener.
int raw_tcp_socket();
void raw_connect(int fd, const net::SocketAddr& to);

}  // namespace ringo::test
