// ringo: one include for the whole public API. It lives with net/, the
// top layer, because it includes every layer below.
#pragma once

// Below C++20 the #error is all the compiler says: the includes sit in the
// #else, so it is not buried under a hundred errors from the headers.
#if !defined(__cplusplus) || __cplusplus < 202002L
#error "ringo needs C++20 or later: compile with -std=c++20 (meson: cpp_std=c++20)"
#else

#include <ringo/engine/error.hpp>
#include <ringo/engine/io.hpp>
#include <ringo/engine/result.hpp>
#include <ringo/engine/runtime.hpp>
#include <ringo/engine/spawn.hpp>
#include <ringo/engine/stats.hpp>
#include <ringo/engine/task.hpp>
#include <ringo/engine/time.hpp>
#include <ringo/net/resolve.hpp>
#include <ringo/net/socket_addr.hpp>
#include <ringo/net/tcp_listener.hpp>
#include <ringo/net/tcp_stream.hpp>

#endif
