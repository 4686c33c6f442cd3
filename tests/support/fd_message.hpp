// Passing fds over an AF_UNIX socket (SCM_RIGHTS), for tests of the fds a
// recvmsg brings into the process.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>

#include <sys/socket.h>
#include <sys/uio.h>

namespace ringo::test {

// A one-byte message with room for one fd. Not to be moved: msg points
// into it.
struct FdMessage {
    char byte = 'f';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
    msghdr msg{};

    FdMessage() {
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
    }
    FdMessage(const FdMessage&) = delete;
    FdMessage& operator=(const FdMessage&) = delete;

    // The fd a receive took in, or -1.
    int fd() const noexcept {
        const cmsghdr* c = CMSG_FIRSTHDR(&msg);
        if (msg.msg_controllen == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
        return fd;
    }
};

// Passes fd over carrier (the kernel holds the file while the message is
// queued; the sender may close its copy at once).
inline void send_fd(int carrier, int fd) {
    FdMessage m;
    cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    REQUIRE(::sendmsg(carrier, &m.msg, MSG_NOSIGNAL) == 1);
}

}  // namespace ringo::test
