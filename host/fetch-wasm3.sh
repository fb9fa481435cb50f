#!/bin/sh
# Fetches wasm3's C source from the crates.io package pinned in host/wasm3.pin
# into build/wasm3/ (gitignored): cargo downloads the .crate, we check its
# SHA-256 ourselves, then unpack only the C sources. Idempotent: a second run
# with the same pin does nothing.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
pin="$root/host/wasm3.pin"
crate=$(sed -n 's/^crate=//p' "$pin")
version=$(sed -n 's/^version=//p' "$pin")
sha=$(sed -n 's/^sha256=//p' "$pin")
dest="$root/build/wasm3"
stamp="$dest/.pin"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$crate $version $sha" ] && [ -f "$dest/source/wasm3.h" ]; then
  exit 0
fi

command -v cargo >/dev/null || { echo "fetch-wasm3: cargo is needed to fetch $crate $version from crates.io" >&2; exit 1; }

# A throwaway package whose only dependency is the pinned crate; `cargo fetch`
# puts the .crate into cargo's download cache (it also fetches the crate's
# Rust build dependencies, which we never build).
work="$root/build/wasm3-fetch"
mkdir -p "$work/src"
cat >"$work/Cargo.toml" <<TOML
[package]
name = "ntok-wasm3-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$crate = "=$version"

[workspace]
TOML
: >"$work/src/lib.rs"
(cd "$work" && cargo fetch -q)

cache="${CARGO_HOME:-$HOME/.cargo}/registry/cache"
archive=$(ls "$cache"/*/"$crate-$version.crate" 2>/dev/null | head -n 1 || true)
[ -n "$archive" ] || { echo "fetch-wasm3: $crate-$version.crate not found under $cache" >&2; exit 1; }
got=$(sha256sum "$archive" | cut -d' ' -f1)
if [ "$got" != "$sha" ]; then
  echo "fetch-wasm3: $archive has sha256 $got, pinned $sha" >&2
  exit 1
fi

rm -rf "$dest" "$root/build/wasm3-unpack"
mkdir -p "$root/build/wasm3-unpack"
tar -xzf "$archive" -C "$root/build/wasm3-unpack" "$crate-$version/wasm3"
mv "$root/build/wasm3-unpack/$crate-$version/wasm3" "$dest"
rm -rf "$root/build/wasm3-unpack"
printf '%s\n' "$crate $version $sha" >"$stamp"
echo "fetch-wasm3: wasm3 $(sed -n 's/.*M3_VERSION  *"\(.*\)"/\1/p' "$dest/source/wasm3.h") from $crate $version (sha256 $sha)"
