// A hostile value in RINGO_BACKEND, RINGO_DISABLE or RuntimeOptions::disable
// comes back in Runtime::create's error quoted, with its control bytes
// escaped (\x1b, never a raw ESC that a terminal would obey) and cut to a
// bounded length, however long the value was (issue 11, item 14).
#include "harness.hpp"
#include "scoped_env.hpp"

#include <ringo/engine/runtime.hpp>

#include <algorithm>
#include <string>

namespace {

// A value with an ANSI escape (clear screen), a newline that would forge a
// second log line, a tab, a DEL and a byte past ASCII.
const std::string hostile = "epo\x1b[2J\nll\tfake log line\x7f\xff";
// 10 KB: ends in a marker that must not make it into the message.
const std::string huge = std::string(10 * 1024 - 6, 'A') + "<tail>";

// A message from ringo's own text around the value; the valid feature
// names RINGO_DISABLE lists are most of it.
constexpr std::size_t max_message = 1024;

bool printable(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::string create_error() {
    auto rt = ringo::Runtime::create();
    REQUIRE_FALSE(rt.has_value());
    return rt.message();
}

void check_tame(const std::string& msg, std::string_view source) {
    INFO(msg);
    CHECK(printable(msg));
    CHECK(msg.size() <= max_message);
    CHECK(contains(msg, source));
}

}  // namespace

TEST_CASE("RINGO_BACKEND's error quotes the value, escapes control bytes and cuts a long one",
          "[probe][backend_env]") {
    ringo::test::ScopedEnv disable("RINGO_DISABLE", nullptr);
    {
        ringo::test::ScopedEnv backend("RINGO_BACKEND", hostile.c_str());
        const std::string msg = create_error();
        check_tame(msg, "RINGO_BACKEND=");
        CHECK(contains(msg, R"("epo\x1b[2J\x0all\x09fake log line\x7f\xff")"));
    }
    ringo::test::ScopedEnv backend("RINGO_BACKEND", huge.c_str());
    const std::string msg = create_error();
    check_tame(msg, "RINGO_BACKEND=");
    CHECK_FALSE(contains(msg, "<tail>"));
    CHECK(contains(msg, "(10240 bytes)"));
}

TEST_CASE("RINGO_DISABLE's error quotes the value, escapes control bytes and cuts a long one",
          "[probe][fastpath]") {
    ringo::test::ScopedEnv backend("RINGO_BACKEND", nullptr);
    {
        ringo::test::ScopedEnv disable("RINGO_DISABLE", hostile.c_str());
        check_tame(create_error(), "RINGO_DISABLE=");
    }
    // One unknown name, and a valid list with an unknown name at its end.
    for (const std::string& value : {huge, "multishot_accept," + huge}) {
        ringo::test::ScopedEnv disable("RINGO_DISABLE", value.c_str());
        const std::string msg = create_error();
        check_tame(msg, "RINGO_DISABLE=");
        CHECK_FALSE(contains(msg, "<tail>"));
    }
}

TEST_CASE("RuntimeOptions::disable's error quotes an unknown name and cuts a long one", "[probe][fastpath]") {
    ringo::test::ScopedEnv backend("RINGO_BACKEND", nullptr);
    ringo::test::ScopedEnv disable("RINGO_DISABLE", nullptr);
    for (const std::string& value : {hostile, huge, "defer_taskrun," + huge}) {
        ringo::RuntimeOptions opts;
        opts.disable = value;
        auto rt = ringo::Runtime::create(opts);
        REQUIRE_FALSE(rt.has_value());
        check_tame(rt.message(), "RuntimeOptions::disable");
        CHECK_FALSE(contains(rt.message(), "<tail>"));
    }
}
