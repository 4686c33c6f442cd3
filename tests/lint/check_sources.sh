#!/usr/bin/env bash
# Source rules that a compiler will not enforce:
# 1. No co_await inside a Catch2 assertion macro. Catch2 v2 expands the
#    expression more than once (__builtin_constant_p, and a `false && expr`
#    loop condition), and g++ evaluates co_await even in those operands: the
#    awaited operation would run two or three times.
# 2. net/ never includes kernel-backend headers: it sees only the
#    backend-neutral op interface.
# 3. Installed headers never include liburing or epoll headers.
# 4. The README's example is the one the build compiles.
# 5. No co_await in a branch of ?:. g++ 12 mishandles the branch's
#    temporaries (seen as free() of a bad pointer when a Result<void> from
#    `ok ? co_await f() : Result<void>()` was destroyed); use an if.
# 6. The layers (docs/architecture.md): no relative include that leaves its
#    directory (private headers are named from the project root); a backend
#    (engine/uring, compat/epoll) includes no core header (engine/src,
#    engine/runtime): it reaches the runtime only through engine/backend/;
#    the core (engine/src, engine/backend) includes no backend: only
#    engine/runtime builds one and hands it over.
set -u
root=${1:?usage: check_sources.sh SOURCE_ROOT}
cd "$root" || exit 1
fail=0
if hits=$(grep -rnE '\b(REQUIRE|CHECK|REQUIRE_FALSE|CHECK_FALSE|CHECK_THAT|REQUIRE_THAT|CHECK_THROWS[A-Z_]*|REQUIRE_THROWS[A-Z_]*|CHECK_NOTHROW|REQUIRE_NOTHROW)\b *\(.*co_await' tests); then
    echo "co_await inside a Catch2 assertion (evaluated more than once):"
    echo "$hits"
    fail=1
fi
if hits=$(grep -rnE '#include *[<"](liburing|sys/epoll)' net); then
    echo "net/ includes a kernel-backend header:"
    echo "$hits"
    fail=1
fi
if hits=$(grep -rnE '#include *[<"](liburing|sys/epoll)' engine/include net/include compat/include 2>/dev/null); then
    echo "a public header includes a kernel-backend header:"
    echo "$hits"
    fail=1
fi
# 4. The README's example is examples/readme_echo.cpp (which the build compiles).
readme_code=$(awk '/^```cpp$/{f=1;next} /^```$/{if(f){exit}} f' README.md)
example_code=$(tail -n +2 examples/readme_echo.cpp)
if [ "$readme_code" != "$example_code" ]; then
    echo "README.md's example differs from examples/readme_echo.cpp (minus its first line)"
    fail=1
fi
# 5. No co_await in a branch of ?:.
if hits=$(grep -rnE '\?[^;]*\bco_await\b' --include='*.cpp' --include='*.hpp' engine net compat tests tools examples 2>/dev/null | grep -vE '^[^:]+:[0-9]+: *//'); then
    echo "co_await in a branch of ?: (g++ 12 mishandles it; use an if):"
    echo "$hits"
    fail=1
fi
# 6. Layers.
sources=(--include='*.cpp' --include='*.hpp')
if hits=$(grep -rnE '#include *"\.\./' "${sources[@]}" engine compat net tests tools bench examples 2>/dev/null); then
    echo "a relative include that leaves its directory (name private headers from the project root):"
    echo "$hits"
    fail=1
fi
if hits=$(grep -rnE '#include *"(engine/src|engine/runtime)/' "${sources[@]}" engine/uring compat/epoll 2>/dev/null); then
    echo "a backend includes a core header (it may use engine/backend/ only):"
    echo "$hits"
    fail=1
fi
if hits=$(grep -rnE '#include *"(engine/uring|compat/epoll|engine/runtime)/' "${sources[@]}" engine/src engine/backend 2>/dev/null); then
    echo "the core includes a backend (only engine/runtime builds one):"
    echo "$hits"
    fail=1
fi
if hits=$(grep -rnE '#include *"(engine|compat)/' "${sources[@]}" net 2>/dev/null); then
    echo "net/ includes an engine-private header (it sees only <ringo/engine/...>):"
    echo "$hits"
    fail=1
fi
[ $fail -eq 0 ] && echo "source rules hold"
exit $fail
