#!/usr/bin/env bash
# Capture real Linux-stack UDP flows carrying network tokens.
#
#   test/netns/make-captures.sh [--router] <manifest.json> <out-dir>
#
# Creates a client and a server network namespace joined by a veth pair (with
# --router: client - router - server, the router forwarding), addresses from
# the documentation prefixes 192.0.2.0/24 and 2001:db8::/64, starts tcpdump on
# the server's interface and a UDP sink (send.py sink) in the server namespace,
# runs send.py in the client namespace, stops tcpdump with SIGINT and writes
#   <out-dir>/capture.pcap   what arrived at the server (both directions)
#   <out-dir>/router-lan.pcap  with --router: the router's client-side interface
#   <out-dir>/flows.json     what was sent, per flow (see README.md)
# Everything it creates is removed on exit, also on failure or a signal (a
# failed run leaves no flows.json; capture.pcap, if any, is what tcpdump got).
# Needs root (namespaces, and CAP_NET_RAW for IPv6 options). Sends nothing
# outside the namespaces it creates.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SEND_PY="$HERE/send.py"
PY=${PYTHON:-python3}
PREFIX=ntokcap
TAG=$$

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}
log() { echo "make-captures: $*" >&2; }
die() { log "error: $*"; exit 1; }

ROUTER=0
while [[ $# -gt 0 && $1 == -* ]]; do
  case $1 in
    --router) ROUTER=1; shift ;;
    -h|--help) usage 0 ;;
    --) shift; break ;;
    *) log "unknown option $1"; usage 2 ;;
  esac
done
[[ $# -eq 2 ]] || usage 2
[[ $EUID -eq 0 ]] || die "needs root (network namespaces, CAP_NET_RAW)"
[[ -r $1 ]] || die "cannot read manifest $1"
MANIFEST=$(realpath "$1")
mkdir -p "$2"
OUT=$(realpath "$2")

command -v ip >/dev/null || die "ip (iproute2) not found"
command -v "$PY" >/dev/null || die "python3 not found (set PYTHON=)"
if ! command -v tcpdump >/dev/null; then
  log "tcpdump missing: installing it (apt-get install -y tcpdump)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y tcpdump >&2 || die "cannot install tcpdump"
fi

# Validate the manifest before creating anything.
"$PY" "$SEND_PY" check "$MANIFEST" >/dev/null || die "invalid manifest $MANIFEST"

NS_C=$PREFIX-c-$TAG
NS_S=$PREFIX-s-$TAG
NS_R=$PREFIX-r-$TAG
OUR_NS=("$NS_C" "$NS_S")
[[ $ROUTER -eq 1 ]] && OUR_NS+=("$NS_R")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ntokcap.XXXXXX")
PIDS_TCPDUMP=()
PID_SINK=
PID_SEND=

del_ns() {
  local ns=$1 pid
  ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$ns" || return 0
  # Processes still inside (a previous run's tcpdump or sink) keep it alive.
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  set +e
  trap - EXIT INT TERM
  [[ -n $PID_SEND ]] && kill -TERM "$PID_SEND" 2>/dev/null && wait "$PID_SEND" 2>/dev/null
  for pid in "${PIDS_TCPDUMP[@]}"; do
    kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  [[ -n $PID_SINK ]] && kill -TERM "$PID_SINK" 2>/dev/null && wait "$PID_SINK" 2>/dev/null
  for ns in "${OUR_NS[@]}"; do del_ns "$ns"; done
  rm -rf "$TMP"
  if [[ $rc -ne 0 ]]; then
    log "failed (exit $rc); namespaces removed"
    rm -f "$OUT/flows.json"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Leftovers of runs that died without cleaning up (their pid is gone), and a
# stale namespace that happens to carry our own pid.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-[crs]-[0-9]+$" || true); do
  pid=${ns##*-}
  if [[ $pid == "$TAG" ]] || ! kill -0 "$pid" 2>/dev/null; then
    log "removing leftover namespace $ns"
    del_ns "$ns"
  fi
done

rm -f "$OUT/capture.pcap" "$OUT/router-lan.pcap" "$OUT/flows.json"

# ---------------------------------------------------------------- topology

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

ns_init() {
  local ns=$1
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # No DAD and no router solicitations: addresses usable at once and fewer
  # packets in the capture that nobody asked for. The kernel still sends MLD
  # reports when an interface comes up: make it send them (and its repeats)
  # within milliseconds, before the capture starts (see SETTLE below).
  nsx "$ns" sh -c '
    for k in all default; do
      echo 0 > /proc/sys/net/ipv6/conf/$k/accept_dad
      echo 0 > /proc/sys/net/ipv6/conf/$k/router_solicitations
      echo 10 > /proc/sys/net/ipv6/conf/$k/mldv1_unsolicited_report_interval
      echo 10 > /proc/sys/net/ipv6/conf/$k/mldv2_unsolicited_report_interval
    done'
}

# link NS_A MAC_A NS_B MAC_B DEV_NAME: a veth pair, same name on both sides.
link() {
  ip link add "$5" netns "$1" address "$2" type veth peer name "$5" netns "$3" address "$4"
}

# addr NS DEV V4/LEN V6/LEN
addr() {
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$1" -6 addr add "$4" dev "$2" nodad
}

# neigh NS DEV IP MAC: permanent neighbour entries, so that the capture holds
# no ARP / neighbour discovery and the first packet of a flow is not delayed.
neigh() { ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent; }

MAC_C=02:00:00:00:00:01
MAC_S=02:00:00:00:00:02
MAC_RL=02:00:00:00:00:fe
MAC_RW=02:00:00:00:01:fe

for ns in "${OUR_NS[@]}"; do ns_init "$ns"; done

if [[ $ROUTER -eq 0 ]]; then
  C4=192.0.2.1 S4=192.0.2.2 C6=2001:db8::1 S6=2001:db8::2
  link "$NS_C" $MAC_C "$NS_S" $MAC_S eth0
  addr "$NS_C" eth0 $C4/24 $C6/64
  addr "$NS_S" eth0 $S4/24 $S6/64
  neigh "$NS_C" eth0 $S4 $MAC_S; neigh "$NS_C" eth0 $S6 $MAC_S
  neigh "$NS_S" eth0 $C4 $MAC_C; neigh "$NS_S" eth0 $C6 $MAC_C
  UP=("$NS_C:eth0" "$NS_S:eth0")
else
  C4=192.0.2.1 RL4=192.0.2.254 RW4=198.51.100.254 S4=198.51.100.1
  C6=2001:db8:1::1 RL6=2001:db8:1::fe RW6=2001:db8:2::fe S6=2001:db8:2::1
  link "$NS_C" $MAC_C "$NS_R" $MAC_RL eth0
  link "$NS_S" $MAC_S "$NS_R" $MAC_RW eth1
  ip -n "$NS_S" link set eth1 name eth0
  addr "$NS_C" eth0 $C4/24 $C6/64
  addr "$NS_R" eth0 $RL4/24 $RL6/64
  addr "$NS_R" eth1 $RW4/24 $RW6/64
  addr "$NS_S" eth0 $S4/24 $S6/64
  neigh "$NS_C" eth0 $RL4 $MAC_RL; neigh "$NS_C" eth0 $RL6 $MAC_RL
  neigh "$NS_R" eth0 $C4 $MAC_C;   neigh "$NS_R" eth0 $C6 $MAC_C
  neigh "$NS_R" eth1 $S4 $MAC_S;   neigh "$NS_R" eth1 $S6 $MAC_S
  neigh "$NS_S" eth0 $RW4 $MAC_RW; neigh "$NS_S" eth0 $RW6 $MAC_RW
  nsx "$NS_R" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
                     echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
  UP=("$NS_C:eth0" "$NS_R:eth0" "$NS_R:eth1" "$NS_S:eth0")
fi
for nd in "${UP[@]}"; do ip -n "${nd%%:*}" link set "${nd#*:}" up; done
if [[ $ROUTER -eq 1 ]]; then
  ip -n "$NS_C" route add default via $RL4
  ip -n "$NS_C" -6 route add default via $RL6
  ip -n "$NS_S" route add default via $RW4
  ip -n "$NS_S" -6 route add default via $RW6
fi

# wait_for TENTHS CMD...: poll until CMD succeeds.
wait_for() {
  local n=$1; shift
  while ! "$@" 2>/dev/null; do
    n=$((n - 1)); [[ $n -gt 0 ]] || return 1
    sleep 0.05
  done
}
for nd in "${UP[@]}"; do
  wait_for 100 sh -c "ip -n '${nd%%:*}' link show '${nd#*:}' | grep -q LOWER_UP" \
    || die "link ${nd} never came up"
done

# ---------------------------------------------------------------- capture

# MLD reports of the links that just came up (unsolicited, repeated every
# 10 ms, see ns_init) are over by now; set NTOK_CAPTURE_SETTLE=0 to keep them.
sleep "${NTOK_CAPTURE_SETTLE:-0.2}"

start_tcpdump() { # NS DEV FILE
  local err=$TMP/tcpdump-${#PIDS_TCPDUMP[@]}.err
  ip netns exec "$1" tcpdump -i "$2" -w "$3" --immediate-mode -U -n -Z root 2>"$err" &
  PIDS_TCPDUMP+=($!)
  wait_for 200 grep -q "listening on" "$err" || { cat "$err" >&2; die "tcpdump did not start"; }
}

# (ip netns exec directly, not through a function: "$!" must be the process
# itself, not a subshell, or the signals below would miss it)
ip netns exec "$NS_S" "$PY" "$SEND_PY" sink "$MANIFEST" --addr4 $S4 --addr6 $S6 \
  --ready "$TMP/sink.ready" --stats "$TMP/sink.json" &
PID_SINK=$!
wait_for 200 test -e "$TMP/sink.ready" || die "sink did not start"
kill -0 "$PID_SINK" 2>/dev/null || die "sink exited"

start_tcpdump "$NS_S" eth0 "$OUT/capture.pcap"
[[ $ROUTER -eq 1 ]] && start_tcpdump "$NS_R" eth0 "$OUT/router-lan.pcap"

STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ip netns exec "$NS_C" "$PY" "$SEND_PY" send "$MANIFEST" --src4 $C4 --src6 $C6 --dst4 $S4 --dst6 $S6 \
  --out "$OUT/flows.json" &
PID_SEND=$!
wait "$PID_SEND" || { rc=$?; PID_SEND=; die "send.py failed (exit $rc)"; }
PID_SEND=

sleep 0.1 # let the last packets reach the capture
SUMMARY=()
for i in "${!PIDS_TCPDUMP[@]}"; do
  pid=${PIDS_TCPDUMP[$i]}
  kill -INT "$pid"
  wait "$pid" || die "tcpdump exited with $?: $(cat "$TMP/tcpdump-$i.err")"
  grep -q "packets captured" "$TMP/tcpdump-$i.err" || die "tcpdump did not stop cleanly"
  SUMMARY+=("$(grep "packets captured" "$TMP/tcpdump-$i.err")")
done
PIDS_TCPDUMP=()
kill -TERM "$PID_SINK"
wait "$PID_SINK" || die "sink exited with $?"
PID_SINK=

META=(--meta "started=$STARTED" --meta "file=capture.pcap" --meta "interface=server eth0"
      --meta "linktype=EN10MB" --meta "router=$ROUTER"
      --meta "client_mac=$MAC_C" --meta "server_mac=$MAC_S"
      --meta "kernel=$(uname -r)" --meta "tcpdump=$(tcpdump --version 2>&1 | head -1)")
[[ $ROUTER -eq 1 ]] && META+=(--meta "router_file=router-lan.pcap" --meta "router_lan_mac=$MAC_RL"
                              --meta "router_wan_mac=$MAC_RW")
"$PY" "$SEND_PY" finish "$OUT/flows.json" --stats "$TMP/sink.json" "${META[@]}"

log "capture.pcap: ${SUMMARY[0]}"
[[ $ROUTER -eq 1 ]] && log "router-lan.pcap: ${SUMMARY[1]}"
log "wrote $OUT/capture.pcap and $OUT/flows.json"
