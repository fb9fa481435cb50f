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
# shellcheck source=topology.sh
source "$HERE/topology.sh"
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

# topology.sh: namespaces, veth links, addresses, permanent neighbours, routes.
build_topology "$ROUTER" "$NS_C" "$NS_S" "$NS_R" || die "cannot build the topology"

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
