#!/usr/bin/env bash
# train.host_app — the host example (docs/examples/host-app) built the way a
# user builds it: from an installed prefix only, with
# find_package(Backplane COMPONENTS nn) and with pkg-config backplane-nn.
# Each build trains, saves, reloads and must predict identically.
#   check_host_app.sh SOURCE_DIR BUILD_DIR WORK_DIR [CXX [SANITIZERS]]
# CXX and SANITIZERS (e.g. address,undefined) are the project build's: a
# sanitized libbackplane needs a program built with the same sanitizers.
set -euo pipefail
source_dir="$1"
build_dir="$2"
work="$3"
cxx="${4:-${CXX:-c++}}"
san_flags=""
[[ -n "${5:-}" ]] && san_flags="-fsanitize=$5 -fno-omit-frame-pointer"
checks=0
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log"
for f in include/backplane/nn/nn.hpp include/backplane/nn/safetensors.hpp include/backplane/nn/model_io.hpp \
         lib/libbackplane_nn.so lib/pkgconfig/backplane-nn.pc lib/cmake/Backplane/BackplaneConfig.cmake; do
  [[ -e "$prefix/$f" ]] || fail "the install lacks $f"
done
checks=$((checks + 1))

# CMake: a copy of the example, nothing from the source or build tree but the prefix.
cp -r "$source_dir/docs/examples/host-app" "$work/app"
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$san_flags" -DCMAKE_EXE_LINKER_FLAGS="$san_flags" >"$work/configure.log" ||
  { cat "$work/configure.log"; fail "the example does not configure against the prefix"; }
cmake --build "$work/app/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "the example does not build"; }
grep -q "^Backplane_DIR:PATH=$prefix/lib/cmake/Backplane$" "$work/app/build/CMakeCache.txt" ||
  fail "find_package(Backplane) did not use the installed prefix"
"$work/app/build/host_app" "$work/cmake.safetensors" | tee "$work/cmake.log"
grep -q "^predictions after loading: identical" "$work/cmake.log" || fail "CMake build: predictions differ after loading"
grep -q "^Total params: 22532$" "$work/cmake.log" || fail "CMake build: summary() lacks the total"
checks=$((checks + 1))

# A component that is not there is named.
mkdir -p "$work/missing"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(m LANGUAGES CXX)\nfind_package(Backplane REQUIRED COMPONENTS nosuch)\n' \
  >"$work/missing/CMakeLists.txt"
if cmake -S "$work/missing" -B "$work/missing/build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/missing.log" 2>&1; then
  fail "find_package accepted an unknown component"
fi
grep -q "component 'nosuch' is not part of this installation" "$work/missing.log" || { cat "$work/missing.log"; fail "no message for an unknown component"; }
checks=$((checks + 1))

# pkg-config.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs backplane-nn)
echo "pkg-config backplane-nn: $flags"
# shellcheck disable=SC2086
"$cxx" -std=c++17 -O1 $san_flags "$source_dir/docs/examples/host-app/main.cpp" $flags -Wl,-rpath,"$prefix/lib" -o "$work/host_app_pc"
"$work/host_app_pc" "$work/pkgconfig.safetensors" | tee "$work/pkgconfig.log"
grep -q "^predictions after loading: identical" "$work/pkgconfig.log" || fail "pkg-config build: predictions differ after loading"
checks=$((checks + 1))

echo "OK: the host example builds from the installed prefix and keeps what it trained"
echo "bp-test: ran=$checks skipped=0"  # read by scripts/check-test-counts.py
