#!/bin/sh
# Cross-compiles a static ntokd for one board profile: boards/<name>.json.
#
#   sh boards/build-board.sh <name>        (npm run build:board -- <name>)
#   sh boards/build-board.sh all           (every profile; npm run build:boards)
#
# Output in build/boards/<name>/ (gitignored):
#   ntokd            static, stripped: what goes on the board
#   ntokd.debug      the same binary before stripping
#   ntok.wasm        the module ntokd loads from beside itself (hash compiled in)
#   deps/            musl, mbedTLS and libsodium built for the target
#
# Everything third-party is built from Debian source packages (`apt-get
# source musl mbedtls libsodium`, unpacked once into build/boards/src/) with
# the Debian cross compiler named by the profile, against musl built from
# source (Debian ships no big-endian mips musl and its libmbedcrypto.a does
# not link with musl, so all boards take the same path).
#
# Float ABI: the profile's float_abi. MIPS profiles say soft (OpenWrt's
# ABI; its kernels are built without the FPU emulator by default, so an FPU
# instruction is SIGILL on a 24Kc/74Kc/1004Kc): built with -msoft-float, the
# soft-float routines taken from glibc's soft-fp/ (see below), and checked
# to contain no FPU instruction. NTOK_MIPS_FLOAT=hard gives Debian's
# hard-float default instead.
#
# Needs (Debian 12 names): the profile's debian_cross compiler
# (gcc-mips-linux-gnu, ...), make, dpkg-dev (apt-get source), autoconf,
# automake, libtool (libsodium's source package has no configure script),
# node (to read the profile), cargo (wasm3's source, host/fetch-wasm3.sh),
# and build/ntok.wasm (npm run build:wasm). deb-src lines: if apt has none,
# this script adds /etc/apt/sources.list.d/ntok-src.sources (a copy of
# Debian's bookworm deb lines as deb-src) when run as root, else says so.
# It installs no packages itself.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-}
[ -n "$name" ] || { echo "usage: $0 <board>   (one of: $(cd "$root/boards" && ls *.json | sed 's/\.json$//' | tr '\n' ' '))" >&2; exit 2; }
if [ "$name" = all ]; then
  for p in "$root"/boards/*.json; do
    sh "$0" "$(basename "$p" .json)" || exit 1
  done
  exit 0
fi
profile="$root/boards/$name.json"
[ -f "$profile" ] || { echo "build-board: no profile $profile" >&2; exit 2; }

field() { node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));let v=p;for(const k of process.argv[2].split("."))v=v==null?undefined:v[k];process.stdout.write(v==null?"":String(v))' "$profile" "$1"; }
triple=$(field toolchain.triple)
float_abi=$(field toolchain.float_abi)
endianness=$(field toolchain.endianness)
stack_kib=$(field limits.wasm3_stack_kib)
wasm_pages=$(field limits.wasm_pages)
[ -n "$triple" ] && [ -n "$stack_kib" ] && [ -n "$wasm_pages" ] ||
  { echo "build-board: $profile lacks toolchain.triple, limits.wasm3_stack_kib or limits.wasm_pages" >&2; exit 2; }

jobs=$(nproc 2>/dev/null || echo 2)
out="$root/build/boards/$name"
deps="$out/deps"
src="$root/build/boards/src"
mkdir -p "$out" "$deps" "$src"

t0=$(date +%s)
step() { echo "build-board[$name]: $* (+$(( $(date +%s) - t0 ))s)"; }

# --- tools -------------------------------------------------------------------
missing=
for tool in "$triple-gcc" "$triple-ar" "$triple-strip" "$triple-objdump" make node autoreconf libtoolize dpkg-source; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "build-board: missing:$missing" >&2
  echo "  apt-get install $(field toolchain.debian_cross) make dpkg-dev autoconf automake libtool" >&2
  exit 1
fi
[ -f "$root/build/ntok.wasm" ] || { echo "build-board: build/ntok.wasm is missing: run npm run build:wasm first" >&2; exit 1; }

# --- Debian source packages (once, shared by every board) --------------------
have_deb_src() {
  grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}
fetch_sources() {
  if ! have_deb_src; then
    if [ "$(id -u)" = 0 ]; then
      step "adding deb-src lines: /etc/apt/sources.list.d/ntok-src.sources"
      cat >/etc/apt/sources.list.d/ntok-src.sources <<'EOF'
# deb-src for ntok's board builds (boards/build-board.sh: apt-get source musl mbedtls libsodium)
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
      apt-get update -q >/dev/null
    else
      echo "build-board: apt has no deb-src lines; add them (as root) and run apt-get update" >&2
      exit 1
    fi
  fi
  step "apt-get source musl mbedtls libsodium"
  (cd "$src" && apt-get source -q musl mbedtls libsodium >/dev/null 2>"$src/apt-get-source.log") ||
    { cat "$src/apt-get-source.log" >&2; exit 1; }
}
dir_of() { ls -d "$src/$1"-[0-9]*/ 2>/dev/null | head -n 1 | sed 's,/$,,'; }
if [ -z "$(dir_of musl)" ] || [ -z "$(dir_of mbedtls)" ] || [ -z "$(dir_of libsodium)" ]; then
  fetch_sources
fi
musl_src=$(dir_of musl)
mbed_src=$(dir_of mbedtls)
sodium_src=$(dir_of libsodium)
if [ ! -x "$sodium_src/configure" ]; then
  step "autoreconf -fi in $(basename "$sodium_src")"
  (cd "$sodium_src" && autoreconf -fi >/dev/null 2>&1)
fi

# --- compiler flags ------------------------------------------------------------
# MIPS soft-float (OpenWrt's ABI): Debian's cross compilers are hard-float
# and their libgcc's __adddf3 etc. are hard-float wrappers, so the soft-float
# routines come from glibc's soft-fp/ (Debian source package glibc; only
# soft-fp/, stdlib/longlong.h and the mips32 sfp-machine.h are unpacked) and
# go into deps/musl/lib/libntoksoftfp.a, which the specs file puts before
# libgcc.a in the link's libgcc/libc group (so libc's calls resolve there
# too). NTOK_MIPS_FLOAT=hard builds Debian's default (hard-float) instead.
float_built=$float_abi
arch_flags=
case "$triple" in
  mips-*|mipsel-*)
    if [ "$float_abi" = soft ] && [ "${NTOK_MIPS_FLOAT:-soft}" = soft ]; then
      arch_flags=-msoft-float
    else
      float_built=hard
    fi ;;
esac
opt="-Os -ffunction-sections -fdata-sections $arch_flags"
# Libraries built for another float ABI are thrown away.
abi="$triple $float_built $arch_flags"
if [ -n "$(ls -A "$deps")" ] && [ "$(cat "$deps/.abi" 2>/dev/null)" != "$abi" ]; then
  step "deps were built for another ABI ($(cat "$deps/.abi" 2>/dev/null || echo unknown)): rebuilding them"
  rm -rf "$deps" "$out/obj"
  mkdir -p "$deps"
fi
printf '%s\n' "$abi" >"$deps/.abi"

# --- musl -----------------------------------------------------------------------
if [ ! -f "$deps/musl/lib/libc.a" ]; then
  step "musl $(basename "$musl_src") for $triple"
  rm -rf "$deps/musl-build" && mkdir -p "$deps/musl-build"
  (cd "$deps/musl-build" &&
    "$musl_src/configure" --prefix="$deps/musl" --target="$triple" CROSS_COMPILE="$triple-" \
      CC="$triple-gcc" CFLAGS="-Os $arch_flags" --disable-shared >build.log 2>&1 &&
    make -j"$jobs" >>build.log 2>&1 && make install >>build.log 2>&1) ||
    { tail -n 30 "$deps/musl-build/build.log" >&2; exit 1; }
  rm -rf "$deps/musl-build"
fi
# Soft-float routines (see above).
if [ "$arch_flags" = -msoft-float ] && [ ! -f "$deps/musl/lib/.softfp" ]; then
  glibc_src="$src/glibc-softfp"
  if [ ! -f "$glibc_src/soft-fp/soft-fp.h" ]; then
    step "glibc soft-fp/ (apt-get source --download-only glibc)"
    (cd "$src" && apt-get source -q --download-only glibc >/dev/null 2>>"$src/apt-get-source.log")
    rm -rf "$glibc_src" && mkdir -p "$glibc_src"
    orig=$(ls "$src"/glibc_*.orig.tar.xz | head -n 1)
    tar -xJf "$orig" -C "$glibc_src" --strip-components=1 --wildcards \
      '*/soft-fp/*' '*/stdlib/longlong.h' '*/sysdeps/mips/mips32/sfp-machine.h'
  fi
  step "soft-float routines (glibc soft-fp): libntoksoftfp.a"
  sf="$deps/softfp-build"
  rm -rf "$sf" && mkdir -p "$sf"
  cat >"$sf/sfp-machine.h" <<SFP
/* Generated by boards/build-board.sh: glibc's mips32 soft-fp machine file
 * used outside glibc (byte order from GCC, strong_alias for __nedf2 & co.). */
#define __LITTLE_ENDIAN 1234
#define __BIG_ENDIAN 4321
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
# define __BYTE_ORDER __BIG_ENDIAN
#else
# define __BYTE_ORDER __LITTLE_ENDIAN
#endif
#define strong_alias(name, aliasname) extern __typeof (name) aliasname __attribute__ ((alias (#name)))
#include "$glibc_src/sysdeps/mips/mips32/sfp-machine.h"
SFP
  cp "$glibc_src/stdlib/longlong.h" "$sf/"
  for f in adddf3 addsf3 subdf3 subsf3 muldf3 mulsf3 divdf3 divsf3 negdf2 negsf2 \
    eqdf2 eqsf2 gedf2 gesf2 ledf2 lesf2 unorddf2 unordsf2 \
    fixdfsi fixsfsi fixdfdi fixsfdi fixunsdfsi fixunssfsi fixunsdfdi fixunssfdi \
    floatsidf floatsisf floatdidf floatdisf floatunsidf floatunsisf floatundidf floatundisf \
    extendsfdf2 truncdfsf2; do
    "$triple-gcc" -msoft-float -O2 -ffreestanding -I"$sf" -I"$glibc_src/soft-fp" \
      -c "$glibc_src/soft-fp/$f.c" -o "$sf/$f.o"
  done
  "$triple-ar" rcs "$deps/musl/lib/libntoksoftfp.a" "$sf"/*.o
  rm -rf "$sf"
  : >"$deps/musl/lib/.softfp"
fi
# musl's own gcc wrapper is off when cross-compiling; its specs file is all we
# need (static only, so the dynamic linker named in it is never used).
if [ ! -f "$deps/musl/lib/musl-gcc.specs" ]; then
  sh "$musl_src/tools/musl-gcc.specs.sh" "$deps/musl/include" "$deps/musl/lib" /lib/ld-musl.so.1 >"$deps/musl/lib/musl-gcc.specs.new"
  if [ "$arch_flags" = -msoft-float ]; then
    sed -i "s|^libgcc.a%s|$deps/musl/lib/libntoksoftfp.a libgcc.a%s|" "$deps/musl/lib/musl-gcc.specs.new"
    grep -q libntoksoftfp "$deps/musl/lib/musl-gcc.specs.new" || { echo "build-board: could not put libntoksoftfp.a into the specs" >&2; exit 1; }
  fi
  mv "$deps/musl/lib/musl-gcc.specs.new" "$deps/musl/lib/musl-gcc.specs"
fi
CC="$triple-gcc -specs=$deps/musl/lib/musl-gcc.specs"

# --- mbedTLS (libmbedcrypto.a only, configured by boards/mbedtls-config.h) -------
# The same configuration must reach the host sources (struct layouts follow
# it): it is installed as deps/include/ntok-mbedtls-config.h.
mbed_cfg="'-DMBEDTLS_CONFIG_FILE=\"ntok-mbedtls-config.h\"'"
if [ ! -f "$deps/lib/libmbedcrypto.a" ] || ! cmp -s "$root/boards/mbedtls-config.h" "$deps/include/ntok-mbedtls-config.h"; then
  step "mbedTLS $(basename "$mbed_src") libmbedcrypto.a"
  rm -rf "$deps/mbedtls-build" && cp -a "$mbed_src" "$deps/mbedtls-build"
  cp "$root/boards/mbedtls-config.h" "$deps/mbedtls-build/include/ntok-mbedtls-config.h"
  make -C "$deps/mbedtls-build/library" -j"$jobs" CC="$CC" AR="$triple-ar" \
    CFLAGS="$opt $mbed_cfg" libmbedcrypto.a >"$deps/mbedtls-build.log" 2>&1 ||
    { tail -n 30 "$deps/mbedtls-build.log" >&2; exit 1; }
  mkdir -p "$deps/lib" "$deps/include"
  rm -rf "$deps/include/mbedtls" "$deps/include/psa"
  cp -a "$deps/mbedtls-build/include/mbedtls" "$deps/mbedtls-build/include/psa" "$deps/include/"
  cp "$deps/mbedtls-build/library/libmbedcrypto.a" "$deps/lib/"
  cp "$root/boards/mbedtls-config.h" "$deps/include/ntok-mbedtls-config.h"
  rm -rf "$deps/mbedtls-build" "$out/obj"   # the host objects follow the configuration
fi

# --- libsodium (Ed25519 verify, the subgroup check, memzero) --------------------------------
if [ ! -f "$deps/lib/libsodium.a" ]; then
  step "libsodium $(basename "$sodium_src")"
  rm -rf "$deps/sodium-build" && mkdir -p "$deps/sodium-build"
  (cd "$deps/sodium-build" &&
    "$sodium_src/configure" --host="$triple" --prefix="$deps" --disable-shared --enable-static \
      --disable-pie --without-pthreads CC="$CC" CFLAGS="$opt" >build.log 2>&1 &&
    make -j"$jobs" >>build.log 2>&1 && make install >>build.log 2>&1) ||
    { tail -n 30 "$deps/sodium-build/build.log" >&2; exit 1; }
  rm -rf "$deps/sodium-build"
fi

# Soft-float: ld warns for each hard-float-tagged libgcc member (see below).
ld_quiet=
[ "$arch_flags" = -msoft-float ] && ld_quiet=-Wl,--no-warn-mismatch
# --- wasm3 + host ------------------------------------------------------------------
sh "$root/host/fetch-wasm3.sh"
# The profile's wasm memory ceiling is wasm3's (d_m3MaxLinearMemoryPages):
# memory.grow past it fails, and the core's allocator then asks for only what
# it needs instead of doubling. make does not see defines change, so the
# objects are rebuilt when the limits do.
# NTOKD_BENCH=0 leaves out `ntokd bench` (host/bench.c, a developer mode).
bench=${NTOKD_BENCH:-1}
limits="stack_kib=$stack_kib wasm_pages=$wasm_pages bench=$bench"
if [ "$(cat "$out/obj/.limits" 2>/dev/null)" != "$limits" ]; then
  rm -rf "$out/obj"
  mkdir -p "$out/obj"
  printf '%s\n' "$limits" >"$out/obj/.limits"
fi
step "ntokd (wasm3 stack ${stack_kib} KiB, linear memory at most $wasm_pages pages)"
cp "$root/build/ntok.wasm" "$out/ntok.wasm"
make -s -C "$root/host" -j"$jobs" \
  CC="$CC" CFLAGS="-O2 -ffunction-sections -fdata-sections $arch_flags" \
  CPPFLAGS="-I$deps/include $mbed_cfg -DWASM3_STACK_BYTES=$((stack_kib * 1024)) -Dd_m3MaxLinearMemoryPages=$wasm_pages" \
  LDFLAGS="-static -Wl,--gc-sections -L$deps/lib $ld_quiet" \
  OUT="$out/ntokd.debug" OBJ="$out/obj" BENCH="$bench"
"$triple-strip" -o "$out/ntokd" "$out/ntokd.debug"
if [ "$arch_flags" = -msoft-float ]; then
  # libgcc's integer helpers (__divdi3 ...) and crtend are tagged hard-float
  # (ld warns) but hold no FPU instruction; make sure none got in anywhere.
  fpu=$("$triple-objdump" -d "$out/ntokd.debug" | grep -cE '[[:space:]](lwc1|swc1|ldc1|sdc1|mtc1|mfc1|mthc1|mfhc1|cfc1|ctc1|(add|sub|mul|div|mov|neg|abs|sqrt)\.[sd]|cvt\.[a-z.]+|c\.[a-z]+\.[sd]|(trunc|round|floor|ceil)\.[a-z.]+)[[:space:]]' || true)
  [ "$fpu" = 0 ] || { echo "build-board: $fpu FPU instructions in a soft-float build ($out/ntokd.debug)" >&2; exit 1; }
fi

size() { wc -c <"$1" | tr -d ' '; }
step "done"
printf '%s: %s, %s-endian, %s-float (profile: %s), static musl %s\n' "$name" "$triple" "$endianness" "$float_built" "$float_abi" \
  "$(cat "$musl_src/VERSION")"
printf '  %-40s %8s bytes (stripped)\n' "build/boards/$name/ntokd" "$(size "$out/ntokd")"
printf '  %-40s %8s bytes (with symbols)\n' "build/boards/$name/ntokd.debug" "$(size "$out/ntokd.debug")"
