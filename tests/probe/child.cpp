#include "child.hpp"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

namespace ringo::test {

ChildResult run_in_child(const std::function<int(std::string& out)>& body) {
    ChildResult result;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        result.output = "pipe2 failed";
        return result;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        result.output = "fork failed";
        return result;
    }
    if (pid == 0) {
        ::close(fds[0]);
        std::string out;
        int code = 70;
        try {
            code = body(out);
        } catch (const std::exception& e) {
            out += std::string("exception: ") + e.what();
        } catch (...) {
            out += "unknown exception";
        }
        for (std::size_t done = 0; done < out.size();) {
            ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
            if (n <= 0 && errno != EINTR) break;
            if (n > 0) done += static_cast<std::size_t>(n);
        }
        ::_exit(code);
    }
    ::close(fds[1]);
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) result.output.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

int deny_io_uring(int err) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return ENOMEM;
    int r = 0;
    for (int nr : {SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register)})
        if (r == 0) r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(static_cast<unsigned>(err)), nr, 0);
    // libseccomp sets no_new_privs first, so this works without privileges.
    if (r == 0) r = seccomp_load(ctx);
    seccomp_release(ctx);
    return -r;
}

}  // namespace ringo::test
