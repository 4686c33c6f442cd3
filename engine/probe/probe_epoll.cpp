// The fallback backend's needs: an epoll instance, and whether
// epoll_pwait2 (linux 5.11, nanosecond timeouts) exists; without it the
// epoll backend rounds timeouts up to whole milliseconds for epoll_wait.
#include "engine/probe/probe_parts.hpp"

#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace ringo::detail::probe {

EpollReport probe_epoll() {
    EpollReport e;
    Fd ep(::epoll_create1(EPOLL_CLOEXEC));
    if (ep.get() < 0) {
        e.error = errno;
        return e;
    }
    e.available = true;
    // A zero timeout on an empty set returns 0 at once where it exists.
    epoll_event ev{};
    timespec zero{};
    long r = ::syscall(__NR_epoll_pwait2, ep.get(), &ev, 1, &zero, nullptr, 0);
    e.pwait2 = r >= 0;
    return e;
}

}  // namespace ringo::detail::probe
