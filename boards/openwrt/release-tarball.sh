#!/bin/sh
# Makes the source tarball the OpenWrt package (boards/openwrt/ntok/Makefile)
# builds from: `git archive` of a tag plus build/ntok.wasm, which the OpenWrt
# build cannot make itself (AssemblyScript needs Node).
#
#   npm run build:wasm && sh boards/openwrt/release-tarball.sh [<ref>]
#
# Writes build/release/ntok-<PKG_VERSION>.tar.gz (top directory
# ntok-<PKG_VERSION>/, as OpenWrt unpacks it) and prints its sha256: the
# Makefile's PKG_HASH. Build the module from a checkout of <ref> (default
# HEAD), or the tarball pairs the tag's sources with another module.
# Reproducible: fixed owner, mode and mtime (the commit's), gzip -n.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=${1:-HEAD}
version=$(sed -n 's/^PKG_VERSION:=//p' "$root/boards/openwrt/ntok/Makefile")
name="ntok-$version"
out="$root/build/release"
wasm="$root/build/ntok.wasm"

[ -f "$wasm" ] || { echo "release-tarball: $wasm is missing: run npm run build:wasm" >&2; exit 1; }
pkg_version=$(node -p 'require(process.argv[1]).version' "$root/package.json" 2>/dev/null || echo "?")
[ "$pkg_version" = "$version" ] ||
	echo "release-tarball: warning: package.json says $pkg_version, the OpenWrt Makefile $version" >&2
if [ -n "$(git -C "$root" status --porcelain -- assembly scripts asconfig.json package.json 2>/dev/null)" ]; then
	echo "release-tarball: warning: assembly/ has uncommitted changes: build/ntok.wasm may not match $ref" >&2
fi

mtime=$(git -C "$root" log -1 --format=%ct "$ref")
rm -rf "$out/stage" "$out/$name.tar" "$out/$name.tar.gz"
mkdir -p "$out/stage/$name/build"
git -C "$root" archive --format=tar --prefix="$name/" "$ref" >"$out/$name.tar"
cp "$wasm" "$out/stage/$name/build/ntok.wasm"
chmod 0644 "$out/stage/$name/build/ntok.wasm"
tar -C "$out/stage" --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
	-rf "$out/$name.tar" "$name/build/ntok.wasm"
gzip -9 -n -f "$out/$name.tar"
rm -rf "$out/stage"
echo "$out/$name.tar.gz"
echo "PKG_HASH:=$(sha256sum "$out/$name.tar.gz" | cut -d' ' -f1)"
echo "ntok.wasm sha256 (compiled into ntokd): $(sha256sum "$wasm" | cut -d' ' -f1)"
