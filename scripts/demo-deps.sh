#!/bin/sh
# What `npm run demo` needs beyond Node: the tools that make and read real
# traffic (tcpdump, tshark, iproute2), the router's netfilter tools, and
# what ntokd builds with (mbedTLS, libsodium, libnetfilter_queue, cargo for
# wasm3's source). Installs the missing Debian packages when run as root;
# otherwise names them and fails. (.ci/run installs these and more.)
set -eu
PACKAGES="tshark tcpdump iproute2 python3 iptables nftables conntrack pkg-config \
  libmbedtls-dev libsodium-dev libnetfilter-queue-dev libmnl-dev libnfnetlink-dev make gcc"
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || missing="$missing cargo"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (network namespaces) and these packages:$missing" >&2
  exit 1
fi
echo "demo: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q $missing >&2
