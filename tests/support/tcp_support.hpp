// TCP helpers shared by the net tests: a loopback listener on a free port,
// its address, and a connected (client, server) pair.
#pragma once

#include <ringo/engine/task.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#include <utility>

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

}  // namespace ringo::test
