// Names of io_uring's flag bits and opcodes, as the kernel's uapi header
// spells them without their prefix. Tables, not liburing's macros: Debian's
// liburing 2.3 stops at linux 6.0, and the kernels ringo meets report newer
// bits (IORING_FEAT_* through NO_IOWAIT, linux 6.15; opcodes through PIPE).
#include <ringo/engine/probe.hpp>

#include <array>
#include <string>

namespace ringo {
namespace {

constexpr std::array<const char*, 20> setup_flag_names{
    "IOPOLL",        "SQPOLL",        "SQ_AFF",     "CQSIZE",
    "CLAMP",         "ATTACH_WQ",     "R_DISABLED", "SUBMIT_ALL",
    "COOP_TASKRUN",  "TASKRUN_FLAG",  "SQE128",     "CQE32",
    "SINGLE_ISSUER", "DEFER_TASKRUN", "NO_MMAP",    "REGISTERED_FD_ONLY",
    "NO_SQARRAY",    "HYBRID_IOPOLL", "CQE_MIXED",  "SQE_MIXED",
};

constexpr std::array<const char*, 18> feature_flag_names{
    "SINGLE_MMAP", "NODROP",          "SUBMIT_STABLE",   "RW_CUR_POS",     "CUR_PERSONALITY", "FAST_POLL",
    "POLL_32BITS", "SQPOLL_NONFIXED", "EXT_ARG",         "NATIVE_WORKERS", "RSRC_TAGS",       "CQE_SKIP",
    "LINKED_FILE", "REG_REG_RING",    "RECVSEND_BUNDLE", "MIN_TIMEOUT",    "RW_ATTR",         "NO_IOWAIT",
};

// Five a row, each row led by its first opcode number.
// clang-format off
constexpr std::array<const char*, 63> opcode_names{
    /*  0 */ "NOP",              "READV",            "WRITEV",           "FSYNC",            "READ_FIXED",
    /*  5 */ "WRITE_FIXED",      "POLL_ADD",         "POLL_REMOVE",      "SYNC_FILE_RANGE",  "SENDMSG",
    /* 10 */ "RECVMSG",          "TIMEOUT",          "TIMEOUT_REMOVE",   "ACCEPT",           "ASYNC_CANCEL",
    /* 15 */ "LINK_TIMEOUT",     "CONNECT",          "FALLOCATE",        "OPENAT",           "CLOSE",
    /* 20 */ "FILES_UPDATE",     "STATX",            "READ",             "WRITE",            "FADVISE",
    /* 25 */ "MADVISE",          "SEND",             "RECV",             "OPENAT2",          "EPOLL_CTL",
    /* 30 */ "SPLICE",           "PROVIDE_BUFFERS",  "REMOVE_BUFFERS",   "TEE",              "SHUTDOWN",
    /* 35 */ "RENAMEAT",         "UNLINKAT",         "MKDIRAT",          "SYMLINKAT",        "LINKAT",
    /* 40 */ "MSG_RING",         "FSETXATTR",        "SETXATTR",         "FGETXATTR",        "GETXATTR",
    /* 45 */ "SOCKET",           "URING_CMD",        "SEND_ZC",          "SENDMSG_ZC",       "READ_MULTISHOT",
    /* 50 */ "WAITID",           "FUTEX_WAIT",       "FUTEX_WAKE",       "FUTEX_WAITV",      "FIXED_FD_INSTALL",
    /* 55 */ "FTRUNCATE",        "BIND",             "LISTEN",           "RECV_ZC",          "EPOLL_WAIT",
    /* 60 */ "READV_FIXED",      "WRITEV_FIXED",     "PIPE",
};
// clang-format on

template <std::size_t N>
std::vector<std::string> names_of(std::uint64_t bits, const std::array<const char*, N>& table) {
    std::vector<std::string> out;
    for (unsigned bit = 0; bit < 64; ++bit) {
        if (!((bits >> bit) & 1)) continue;
        out.emplace_back(bit < N ? table[bit] : "bit" + std::to_string(bit));
    }
    return out;
}

}  // namespace

std::vector<std::string> uring_setup_flag_names(unsigned flags) { return names_of(flags, setup_flag_names); }
std::vector<std::string> uring_feature_flag_names(std::uint32_t flags) {
    return names_of(flags, feature_flag_names);
}

const char* uring_opcode_name(unsigned code) noexcept {
    return code < opcode_names.size() ? opcode_names[code] : nullptr;
}

}  // namespace ringo
