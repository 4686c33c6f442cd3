// The README's example, built with the examples so it can never rot.
#include <ringo/ringo.hpp>
using namespace ringo;
Task<> serve(net::TcpStream s) {
    for (;;) {
        auto buf = co_await s.read_borrowed();           // a pool buffer, lent once bytes arrive
        if (!buf || buf->empty()) co_return;             // error or EOF
        if (!co_await s.write_all(buf->bytes())) co_return;
    }                                                    // the buffer goes back here
}
Task<> server() {
    auto listener = net::TcpListener::bind(net::SocketAddr::v4_loopback(8080)).value();
    for (;;) {
        auto conn = co_await listener.accept();
        if (!conn) co_return;                            // stop() cancels accept
        spawn(serve(std::move(*conn))).detach();         // runs on its own
    }
}
int main() { Runtime rt; rt.block_on(server()); }
