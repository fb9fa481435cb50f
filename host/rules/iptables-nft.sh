#!/bin/sh
# The netfilter rules of ntokd's data path on a kernel without nft `queue`
# (CONFIG_NFT_QUEUE unset, as on the test machines): the NFQUEUE target of
# iptables-nft / ip6tables-nft, and an nft table that saves ntokd's verdict
# mark in the conntrack entry and sets DSCP from it (docs/router.md).
#
#   host/rules/iptables-nft.sh up <queue> [<config.json>]   install (replacing ours)
#   host/rules/iptables-nft.sh down [<queue>]              remove (ours, whatever the queue)
#   host/rules/iptables-nft.sh nft [<config.json>]          print the nft table only
#
# up: forwarded UDP and TCP packets (IPv4 and IPv6) of connections whose
# conntrack mark is 0 (no verdict yet) go to NFQUEUE <queue> with
# --queue-bypass (accepted as they are while no ntokd is bound to the queue);
# table inet ntok then, in postrouting:
#   - copies the packet mark ntokd set into the conntrack mark (once);
#   - sets each service's DSCP on every packet of its flows, both directions
#     (`ip dscp set` keeps the ECN bits and fixes the IPv4 checksum);
#   - washes the configuration's premium DSCPs (gateway.wash) from flows
#     decided without a valid token (gateway.marks no_token, rejected, washed).
# The marks and DSCPs come from the configuration (services[].mark / dscp,
# defaults as docs/config.md: mark 16 + position; gateway.marks 1..4); read
# with python3. Without a configuration only the mark is saved.
# Needs root, iptables-nft (Debian package iptables) and nft (nftables).
set -eu

TABLE=ntok
COMMENT=ntok

usage() {
  sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# The configuration as shell-friendly lines:
#   service <mark> <dscp or -1>
#   untokened <mark> <mark> <mark>      (no_token, rejected, washed)
#   wash <to> <dscp> <dscp> ...         (absent: no washing)
policy() {
  python3 - "$1" <<'PY'
import json, sys
try:
    with open(sys.argv[1], encoding="utf-8") as fh:
        cfg = json.load(fh)
except (OSError, ValueError) as e:
    sys.exit(f"iptables-nft.sh: {e}")
for i, s in enumerate(cfg.get("services", [])):
    print("service", int(s.get("mark", 16 + i)), int(s.get("dscp", -1)))
gw = cfg.get("gateway", {})
marks = gw.get("marks", {})
print("untokened", int(marks.get("no_token", 1)), int(marks.get("rejected", 2)), int(marks.get("washed", 3)))
wash = gw.get("wash")
if wash and wash.get("dscp"):
    print("wash", int(wash.get("to", 0)), *[int(d) for d in wash["dscp"]])
PY
}

nft_table() {
  config=${1:-}
  lines=
  [ -n "$config" ] && { lines=$(policy "$config") || { echo "iptables-nft.sh: cannot read $config" >&2; exit 1; }; }
  echo "table inet $TABLE {"
  echo "  chain postrouting {"
  echo "    type filter hook postrouting priority mangle; policy accept;"
  echo "    # ntokd's verdict (the packet mark) into the connection, once"
  echo "    ct mark 0 meta mark != 0 ct mark set meta mark"
  printf '%s\n' "$lines" | while read -r kind a b c; do
    case $kind in
      service)
        [ "$b" -ge 0 ] || continue
        echo "    meta nfproto ipv4 ct mark $a ip dscp set $b"
        echo "    meta nfproto ipv6 ct mark $a ip6 dscp set $b"
        ;;
    esac
  done
  untokened=$(printf '%s\n' "$lines" | awk '$1 == "untokened" { print $2 ", " $3 ", " $4 }')
  wash=$(printf '%s\n' "$lines" | awk '$1 == "wash" { s = ""; for (i = 3; i <= NF; i++) s = s (i > 3 ? ", " : "") $i; print $2 " " s }')
  if [ -n "$wash" ] && [ -n "$untokened" ]; then
    to=${wash%% *}
    set=${wash#* }
    echo "    # premium DSCP without a valid token (gateway.wash)"
    echo "    meta nfproto ipv4 ct mark { $untokened } ip dscp { $set } ip dscp set $to"
    echo "    meta nfproto ipv6 ct mark { $untokened } ip6 dscp { $set } ip6 dscp set $to"
  fi
  echo "  }"
  echo "}"
}

# queue_rules -A|-D <queue>
queue_rules() {
  for ipt in iptables-nft ip6tables-nft; do
    for proto in udp tcp; do
      $ipt -t mangle "$1" FORWARD -p $proto -m connmark --mark 0 -m comment --comment $COMMENT \
        -j NFQUEUE --queue-num "$2" --queue-bypass
    done
  done
}

# Our queue rules, whatever queue number they name.
down() {
  for ipt in iptables-nft ip6tables-nft; do
    $ipt -t mangle -S FORWARD 2>/dev/null | grep -- "--comment $COMMENT " | sed 's/^-A /-D /' |
      while read -r rule; do
        # shellcheck disable=SC2086 # the rule is iptables' own words
        eval "$ipt -t mangle $rule"
      done
  done
  nft delete table inet $TABLE 2>/dev/null || true
}

[ $# -ge 1 ] || usage
case $1 in
  up)
    [ $# -ge 2 ] && [ $# -le 3 ] || usage
    case $2 in ''|*[!0-9]*) usage ;; esac
    [ "$2" -le 65535 ] || usage
    table=$(nft_table "${3:-}")
    down
    printf '%s\n' "$table" | nft -f -
    queue_rules -A "$2"
    ;;
  down)
    [ $# -le 2 ] || usage
    down
    ;;
  nft)
    [ $# -le 2 ] || usage
    nft_table "${2:-}"
    ;;
  *) usage ;;
esac
