#!/usr/bin/env bash
# Embedding tests: another meson project takes ringo in, the three ways
# docs/embedding.md describes. The consumer is tests/embed/consumer/: one
# echo program whose test does a real loopback round trip through ringo.
#
#   subproject  ringo in the consumer's subprojects/ with docs/ringo.wrap,
#               the parent at werror=true and warning_level=3: ringo adds only
#               its library, builds warning-free, keeps its flags to its own
#               targets, and the consumer's test passes; then the consumer's
#               source alone at buildtype=release (-O3), warning-free too.
#   fallback    configure only: dependency('ringo', fallback : ['ringo',
#               'ringo_dep']) with no wrap, and ringo:tests=enabled from the
#               parent's default_options, while the other parts stay off
#               (without Catch2, RINGO_EMBED_CATCH2=no: setup must stop for
#               the missing Catch2, which shows the option reached ringo).
#   install     ringo built alone by the install commands docs/embedding.md
#               shows (plus a quick buildtype, the parts off, a relocatable
#               ringo.pc and `--destdir`); the installed headers, libraries
#               and ringo.pc checked, each installed header compiled on its
#               own, and the consumer built against the install through
#               pkg-config: shared (LD_LIBRARY_PATH) and static
#               (prefer_static, so ringo.pc's private requirements).
#   docs        the snippets in docs/embedding.md are these very files, and
#               its install commands are ones the install mode can run.
#
# Usage: run_embed.sh MODE SOURCE_ROOT BUILD_ROOT B_SANITIZE
# (BUILD_ROOT: the ringo build running this test; CXX: its compiler.)
#
# subproject and install rebuild ringo in a temporary directory to test build
# plumbing, which a sanitizer does not change: they skip (77) in scripts/test's
# ASan pass (b_sanitize set), and run in the normal pass. The temporary
# directory is removed when a test passes and kept, with its logs, when one
# fails.
set -euo pipefail

mode=${1:?usage: run_embed.sh MODE SOURCE_ROOT BUILD_ROOT B_SANITIZE}
src=${2:?source root}
build_root=${3:?build root}
sanitize=${4:?b_sanitize value}

case $mode in
subproject | install)
    if [[ $sanitize != none ]]; then
        echo "skip: build plumbing, not memory safety (b_sanitize=$sanitize); the normal pass runs this"
        exit 77
    fi
    ;;
fallback | docs) ;;
*) echo "run_embed.sh: unknown mode $mode" >&2; exit 2 ;;
esac

# meson test sets this for the test itself; the compilers run here need not
# pay for it.
unset MALLOC_PERTURB_

# The system python3 (meson's own on Debian), not a version manager's shim.
PYTHON=python3
[[ -x /usr/bin/python3 ]] && PYTHON=/usr/bin/python3

work=$(mktemp -d "${TMPDIR:-/tmp}/ringo-embed-$mode.XXXXXX")
finish() {
    local rc=$?
    if ((rc == 0 || rc == 77)); then
        rm -rf "$work"
    else
        echo "run_embed.sh $mode: failed; logs and build trees kept in $work" >&2
    fi
}
trap finish EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# step NAME CMD...: runs CMD with its output in $work/NAME.log, printed if
# CMD fails.
step() {
    local log=$work/$1.log
    shift
    echo "--- $*"
    if ! "$@" >"$log" 2>&1; then
        tail -n 80 "$log"
        fail "$* (log: $log)"
    fi
}

# What every consumer build here uses: the parent's strictest settings, and
# a fast build (the library is built for its plumbing, not its speed).
parent_opts=(--buildtype=plain -Dwerror=true -Dwarning_level=3)

copy_consumer() {  # copy_consumer DIR: the consumer's files, as in the repo
    mkdir -p "$1"
    cp "$src/tests/embed/consumer/meson.build" "$src/tests/embed/consumer/echo.cpp" "$1/"
}

doc=$src/docs/embedding.md

# doc_blocks MARKER: the lines of every fenced block that follows a line
# MARKER in docs/embedding.md (blank lines between them aside); fails if
# MARKER is not there or something else follows it.
doc_blocks() {
    awk -v marker="$1" '
        $0 == marker { found = 1; grab = 1; next }
        grab == 1 && /^```/ { grab = 2; next }
        grab == 1 && NF { bad = 1 }
        grab == 2 && /^```/ { grab = 0; next }
        grab == 2 { print }
        END { exit !found || bad || grab }' "$doc" ||
        fail "docs/embedding.md has no $1 followed by a fenced block"
}

# The install commands docs/embedding.md shows, run by the install mode.
install_marker='<!-- run: embed-install -->'

# install_commands: those commands, one a line without its comment; fails
# unless each is a meson setup, compile or install, which run_install knows
# how to run in a test, and setup and install are there.
install_commands() {
    local block line commands=''
    block=$(doc_blocks "$install_marker")
    while read -r line; do
        line=${line%%#*}
        line=${line%"${line##*[! ]}"}
        [[ -n $line ]] || continue
        [[ $line =~ ^meson\ (setup|compile|install)\  ]] ||
            fail "docs/embedding.md: an install command the test cannot run: $line"
        commands+=$line$'\n'
    done <<<"$block"
    grep -q '^meson setup ' <<<"$commands" && grep -q '^meson install ' <<<"$commands" ||
        fail "docs/embedding.md's install commands lack a meson setup or a meson install"
    printf '%s' "$commands"
}

# ringo_targets BUILDDIR: the names of the targets subproject ringo defines,
# less the static module libraries (ringo_core, ringo_net, ...) that are
# linked whole into the library and are part of it.
ringo_targets() {
    meson introspect "$1" --targets |
        "$PYTHON" -c 'import json, sys
print("\n".join(sorted({t["name"] for t in json.load(sys.stdin) if t["subproject"] == "ringo"
    and not (t["type"] == "static library" and t["name"].startswith("ringo_"))})))'
}

run_subproject() {
    local parent=$work/consumer
    copy_consumer "$parent"
    mkdir -p "$parent/subprojects"
    cp "$src/docs/ringo.wrap" "$parent/subprojects/ringo.wrap"
    # The wrap's directory already exists, so meson uses it and never fetches.
    ln -s "$src" "$parent/subprojects/ringo"

    # nodownload: nothing here may touch the network.
    step setup meson setup "$work/build" "$parent" "${parent_opts[@]}" --wrap-mode=nodownload
    grep -q 'Dependency ringo found: YES .*(overridden)' "$work/setup.log" ||
        fail "dependency('ringo') did not come from the subproject's override_dependency"

    local targets
    targets=$(ringo_targets "$work/build")
    [[ $targets == ringo ]] || fail "subproject ringo defines more than its library: ${targets//$'\n'/ }"
    echo "ringo's targets in the parent: $targets"

    # ringo's own flags stay on ringo's targets; the parent's werror and
    # warning_level reach them (else "warning-free" would prove nothing).
    if ! "$PYTHON" - "$work/build/compile_commands.json" <<'PY'; then
import json, shlex, sys
cmds = json.load(open(sys.argv[1]))
ringo = [shlex.split(c["command"]) for c in cmds if "/subprojects/ringo/" in c["file"]]
consumer = [shlex.split(c["command"]) for c in cmds if c["file"].endswith("echo.cpp")]
own = {"-Wshadow", "-Wold-style-cast", "-Wnon-virtual-dtor", "-Wcast-align", "-DRINGO_HAVE_EPOLL_BACKEND=1"}
ok = bool(ringo) and bool(consumer)
for args in ringo:
    for flag in ("-Werror", "-Wpedantic"):
        if flag not in args:
            print("ringo source compiled without the parent's", flag, ":", args[-1]); ok = False
    if not own & set(args):
        print("ringo source compiled without ringo's own flags:", args[-1]); ok = False
for args in consumer:
    if own & set(args):
        print("ringo's flags leak into the parent:", sorted(own & set(args))); ok = False
sys.exit(0 if ok else 1)
PY
        fail "compile flags leak or are missing (above)"
    fi

    step build meson compile -C "$work/build"
    if grep -n 'warning:' "$work/build.log"; then
        fail "ringo or the consumer built with warnings (above)"
    fi
    step test meson test -C "$work/build" --print-errorlogs
    grep -E '^(backend|echoed) ' "$work/build/meson-logs/testlog.txt" || true

    # Some warnings come only from the optimizer (g++ 12 at -O3 in fmt code
    # that a public header instantiates), and a parent's release build with
    # werror would fail on them. The consumer's source again at
    # buildtype=release: its object alone, since a second ringo at -O3 would
    # double this test's time and the plain build above covers its plumbing.
    step setup-release meson setup "$work/build-release" "$parent" --buildtype=release -Dwerror=true \
        -Dwarning_level=3 --wrap-mode=nodownload
    local object
    object=$("$PYTHON" -c 'import json, shlex, sys
c = next(c for c in json.load(open(sys.argv[1])) if c["file"].endswith("echo.cpp"))
args = shlex.split(c["command"])
if "-O3" in args and "-Werror" in args:
    print(c["output"])' "$work/build-release/compile_commands.json")
    [[ -n $object ]] || fail "the release build does not compile echo.cpp with -O3 -Werror"
    step build-release ninja -C "$work/build-release" "$object"
    if grep -n 'warning:' "$work/build-release.log"; then
        fail "the consumer built with warnings at -O3 (above)"
    fi
}

run_fallback() {
    local parent=$work/parent
    mkdir -p "$parent/subprojects"
    cp "$src/tests/embed/fallback/meson.build" "$parent/"
    ln -s "$src" "$parent/subprojects/ringo"  # no wrap: the fallback names it

    if [[ ${RINGO_EMBED_CATCH2:-yes} == no ]]; then
        # ringo's tests cannot be built here; that the parent's
        # ringo:tests=enabled reached ringo shows as ringo's error for it.
        echo "--- meson setup $work/build $parent (no Catch2 here: must fail for it)"
        if meson setup "$work/build" "$parent" --wrap-mode=nodownload >"$work/setup.log" 2>&1; then
            fail "configured without Catch2: ringo:tests=enabled from the parent did not reach ringo"
        fi
        grep 'the tests need Catch2 v2' "$work/setup.log" || {
            tail -n 40 "$work/setup.log"
            fail "meson setup failed, but not for the missing Catch2 (above)"
        }
        return
    fi
    step setup meson setup "$work/build" "$parent" --wrap-mode=nodownload
    local targets
    targets=$(ringo_targets "$work/build")
    echo "ringo's targets in the parent: ${targets//$'\n'/ }"
    grep -qx ringo <<<"$targets" || fail "no ringo library target"
    grep -qx ringo-tests <<<"$targets" ||
        fail "ringo:tests=enabled in the parent's default_options did not build ringo's tests"
    # The whole set, not a list of names to keep out: a part added later
    # (an example, a tool) is caught too if it ignores its option.
    # The tests are ringo-tests plus one corpus replayer per fuzz target.
    local expected fuzzer
    expected=$(
        echo ringo
        echo ringo-tests
        for fuzzer in "$src"/tests/fuzz/*_fuzz.cpp; do
            fuzzer=${fuzzer##*/}
            echo "${fuzzer%.cpp}_regress"
        done
    )
    expected=$(sort <<<"$expected")
    [[ $targets == "$expected" ]] ||
        fail "ringo builds more than its library and tests though the parent asked for no more: ${targets//$'\n'/ }"
}

# compile_alone HEADER: compiles a file that includes only HEADER, with the
# compiler in cxx and ringo.pc's cflags; says so and fails if it does not.
compile_alone() {
    local out
    if ! out=$(printf '#include <%s>\n' "$1" |
        "${cxx[@]}" -x c++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only "${cflags[@]}" - 2>&1); then
        printf '%s does not compile on its own:\n%s\n' "$1" "$out"
        return 1
    fi
}

# install: ringo as a user installs it, into a staging directory.
run_install() {
    local rb='' dest=$work/dest commands
    commands=$(install_commands)
    # As a user types them, in a directory of their own; what a test adds:
    # ringo's source (the user's current directory), a quick build of the
    # library alone with the parent's werror, a ringo.pc that works from the
    # staging directory, and the staging itself.
    cd "$work"
    local -a cmd
    while read -r -a cmd; do
        case ${cmd[1]} in
        setup)
            rb=$work/${cmd[2]}
            cmd=("${cmd[@]:0:3}" "$src" "${cmd[@]:3}" --buildtype=plain -Dwerror=true -Dpkgconfig.relocatable=true
                -Dtests=disabled -Dexamples=disabled -Dbench=disabled -Dtools=disabled) ;;
        install) cmd+=(--no-rebuild --destdir "$dest") ;;
        esac
        step "${cmd[1]}" "${cmd[@]}" </dev/null
    done <<<"$commands"

    # libdir is lib/<triplet> on Debian; ask the build rather than guess.
    local prefix libdir
    read -r prefix libdir < <(meson introspect "$rb" --buildoptions | "$PYTHON" -c 'import json, sys
o = {o["name"]: o["value"] for o in json.load(sys.stdin)}
print(o["prefix"], o["libdir"])')
    prefix=$dest$prefix
    local inc=$prefix/include lib=$prefix/$libdir
    echo "installed: $(cd "$dest" && find . -type f -o -type l | sort | tr '\n' ' ')"

    # Headers: exactly the public ones (every file under <module>/include/),
    # so never a private one.
    [[ -f $inc/ringo/ringo.hpp ]] || fail "ringo/ringo.hpp not installed"
    compgen -G "$inc/ringo/engine/*.hpp" >/dev/null || fail "no ringo/engine/*.hpp installed"
    compgen -G "$inc/ringo/net/*.hpp" >/dev/null || fail "no ringo/net/*.hpp installed"
    local d
    diff -u <(for d in "$src"/*/include; do (cd "$d" && find ringo -type f); done | sort) \
        <(cd "$inc" && find . -type f | sed 's|^\./||' | sort) ||
        fail "installed headers are not the public ones (-: public, not installed; +: installed, not public)"

    # Libraries and ringo.pc.
    local f
    for f in libringo.so libringo.a pkgconfig/ringo.pc; do
        [[ -e $lib/$f ]] || fail "$libdir/$f not installed"
    done
    export PKG_CONFIG_PATH=$lib/pkgconfig
    echo "ringo.pc:"
    sed 's/^/    /' "$lib/pkgconfig/ringo.pc"
    local requires private_requires
    requires=$(pkg-config --print-requires ringo)
    private_requires=$(pkg-config --print-requires-private ringo)
    grep -q '^fmt\b' <<<"$requires" || fail "fmt (included by the public headers) is not in Requires"
    ! grep -q liburing <<<"$requires" || fail "liburing is in Requires; the public headers never include it"
    grep -q '^liburing\b' <<<"$private_requires" ||
        fail "liburing is not in Requires.private (a static ringo needs it)"
    pkg-config --static --libs ringo | grep -q -- '-luring' ||
        fail "pkg-config --static --libs ringo lacks -luring"
    # Relocatable ringo.pc: its -I is ${pcfiledir}/../../../include.
    local -a cflags
    local flag staged=0
    read -r -a cflags <<<"$(pkg-config --cflags ringo)"
    for flag in "${cflags[@]}"; do
        [[ $flag == -I* && $(realpath -m "${flag#-I}") == "$(realpath "$inc")" ]] && staged=1
    done
    ((staged)) || fail "ringo.pc does not point at the staged headers: ${cflags[*]}"

    # Binaries: the running ringo build's programs that docs/embedding.md
    # says are installed (when that build has them) install with nothing
    # more than `install : true`.
    meson introspect "$build_root" --targets | "$PYTHON" -c 'import json, sys
bad = [t["name"] for t in json.load(sys.stdin)
       if t["name"] in ("ringo-probe", "ringo-bench", "ringo-echo-server", "uring-echo", "epoll-echo")
       and not t["installed"]]
if bad:
    sys.exit("not installed: " + ", ".join(bad) + " (add install : true)")' ||
        fail "a ringo binary is not installed"

    # Each installed header compiles alone (two at a time); below C++20
    # ringo.hpp says why.
    local -a cxx
    read -r -a cxx <<<"${CXX:-c++}"
    echo "--- each installed header alone: ${cxx[*]} -std=c++20 -Wall -Wextra -Werror"
    local h running=0 bad=0 count=0
    while read -r h; do
        compile_alone "$h" &
        count=$((count + 1))
        if ((++running >= 2)); then
            wait -n || bad=1
            running=$((running - 1))
        fi
    done < <(cd "$inc" && find ringo -name '*.hpp' | sort)
    while ((running > 0)); do
        wait -n || bad=1
        running=$((running - 1))
    done
    ((bad == 0)) || fail "an installed header does not compile on its own (above)"
    echo "$count headers compile alone"
    local out
    if out=$(printf '#include <ringo/ringo.hpp>\n' |
        "${cxx[@]}" -x c++ -std=c++17 -fsyntax-only "${cflags[@]}" - 2>&1); then
        fail "ringo/ringo.hpp compiles with -std=c++17"
    fi
    grep -q 'error: #error "ringo needs C++20' <<<"$out" ||
        fail "-std=c++17 fails without ringo's message: $out"
    (($(grep -c 'error:' <<<"$out") == 1)) || fail "-std=c++17: ringo's #error is not the only error: $out"
    echo "-std=c++17: $(grep 'error:' <<<"$out")"

    # The consumer against the install, through pkg-config only.
    copy_consumer "$work/consumer"
    local kind
    for kind in shared static; do
        local cb=$work/consumer-$kind
        local opts=("${parent_opts[@]}" --wrap-mode=nofallback)  # pkg-config or nothing
        [[ $kind == static ]] && opts+=(-Dprefer_static=true)
        step "consumer-$kind-setup" meson setup "$cb" "$work/consumer" "${opts[@]}"
        grep -q 'Run-time dependency ringo found: YES' "$work/consumer-$kind-setup.log" ||
            fail "the consumer did not find the installed ringo through pkg-config"
        step "consumer-$kind-build" meson compile -C "$cb"
        if grep -n 'warning:' "$work/consumer-$kind-build.log"; then
            fail "the consumer built with warnings against the installed headers (above)"
        fi
        local linked
        linked=$(LD_LIBRARY_PATH=$lib ldd "$cb/echo" | grep libringo || true)
        if [[ $kind == shared ]]; then
            grep -qF "$lib/libringo.so" <<<"$linked" ||
                fail "echo does not load the staged libringo.so: $linked"
        else
            [[ -z $linked ]] || fail "echo built with prefer_static still loads $linked"
        fi
        step "consumer-$kind-test" env LD_LIBRARY_PATH="$lib" meson test -C "$cb" --print-errorlogs
        echo "consumer ($kind): $(grep -h '^echoed' "$cb/meson-logs/testlog.txt")"
    done
}

# docs: in docs/embedding.md, the fenced block after `<!-- embed: PATH -->`
# is the whole file PATH, each line of every block after a
# `<!-- from: PATH -->` is a line of PATH, and the block after the install
# marker holds commands the install mode runs.
run_docs() {
    local kind path n=0
    [[ -f $doc ]] || fail "docs/embedding.md is missing"
    while read -r kind path; do
        [[ -f $src/$path ]] || fail "docs/embedding.md shows $path, which does not exist"
        doc_blocks "<!-- $kind: $path -->" >"$work/snippet"
        [[ -s $work/snippet ]] || fail "an empty fenced block after <!-- $kind: $path -->"
        if [[ $kind == embed ]]; then
            diff -u "$src/$path" "$work/snippet" ||
                fail "docs/embedding.md's copy of $path differs (+: docs)"
        elif grep -vxFf "$src/$path" "$work/snippet"; then
            fail "these lines of docs/embedding.md are not in $path (above)"
        fi
        n=$((n + 1))
    done < <(sed -n 's/^<!-- \(embed\|from\): \(.*\) -->$/\1 \2/p' "$doc" | sort -u)
    for path in tests/embed/consumer/meson.build tests/embed/consumer/echo.cpp docs/ringo.wrap; do
        grep -qxF "<!-- embed: $path -->" "$doc" || fail "docs/embedding.md does not show all of $path"
    done
    echo "$n files' snippets match them"
    echo "install commands (embed-install runs them):"
    install_commands | sed 's/^/    /'
}

"run_$mode"
