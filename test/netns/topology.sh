#!/usr/bin/env bash
# The network namespaces of test/netns: client and server joined by a veth
# pair, or with --router client - router - server, the router forwarding
# (addresses, MACs and sysctls in README.md, "Topology").
#
#   test/netns/topology.sh up [--router] <prefix> <tag>   namespaces <prefix>-{c,s,r}-<tag>
#   test/netns/topology.sh down <prefix> <tag>            delete them (and what runs inside)
#
# `up` prints the addresses as KEY=value lines (C4 S4 C6 S6, with --router
# also RL4 RW4 RL6 RW6) and removes what it created when it fails.
# make-captures.sh sources this file for the same topology; test/e2e runs it.
# Needs root and iproute2.

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

del_ns() {
  local ns=$1 pid
  ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$ns" || return 0
  # Processes still inside (a previous run's tcpdump or sink) keep it alive.
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
}

# wait_for TENTHS CMD...: poll until CMD succeeds.
wait_for() {
  local n=$1; shift
  while ! "$@" 2>/dev/null; do
    n=$((n - 1)); [[ $n -gt 0 ]] || return 1
    sleep 0.05
  done
}

ns_init() {
  local ns=$1
  ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
  # No DAD and no router solicitations: addresses usable at once and fewer
  # packets in the capture that nobody asked for. The kernel still sends MLD
  # reports when an interface comes up: make it send them (and its repeats)
  # within milliseconds, before the capture starts (see SETTLE in make-captures.sh).
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
  ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" -6 addr add "$4" dev "$2" nodad
}

# neigh NS DEV IP MAC: permanent neighbour entries, so that the capture holds
# no ARP / neighbour discovery and the first packet of a flow is not delayed.
neigh() { ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent; }

MAC_C=02:00:00:00:00:01
MAC_S=02:00:00:00:00:02
MAC_RL=02:00:00:00:00:fe
MAC_RW=02:00:00:00:01:fe

# build_topology ROUTER(0|1) NS_C NS_S NS_R: creates the namespaces and links,
# sets C4 S4 C6 S6 (and RL4 RW4 RL6 RW6) and UP (the ns:dev pairs), and
# returns once every link is up. Returns non-zero on failure (the caller
# removes the namespaces).
build_topology() {
  local router=$1 ns_c=$2 ns_s=$3 ns_r=$4 ns nd
  local all=("$ns_c" "$ns_s")
  [[ $router -eq 1 ]] && all+=("$ns_r")
  for ns in "${all[@]}"; do ns_init "$ns" || return 1; done
  if [[ $router -eq 0 ]]; then
    C4=192.0.2.1 S4=192.0.2.2 C6=2001:db8::1 S6=2001:db8::2
    link "$ns_c" $MAC_C "$ns_s" $MAC_S eth0 &&
    addr "$ns_c" eth0 $C4/24 $C6/64 &&
    addr "$ns_s" eth0 $S4/24 $S6/64 &&
    neigh "$ns_c" eth0 $S4 $MAC_S && neigh "$ns_c" eth0 $S6 $MAC_S &&
    neigh "$ns_s" eth0 $C4 $MAC_C && neigh "$ns_s" eth0 $C6 $MAC_C || return 1
    UP=("$ns_c:eth0" "$ns_s:eth0")
  else
    C4=192.0.2.1 RL4=192.0.2.254 RW4=198.51.100.254 S4=198.51.100.1
    C6=2001:db8:1::1 RL6=2001:db8:1::fe RW6=2001:db8:2::fe S6=2001:db8:2::1
    link "$ns_c" $MAC_C "$ns_r" $MAC_RL eth0 &&
    link "$ns_s" $MAC_S "$ns_r" $MAC_RW eth1 &&
    ip -n "$ns_s" link set eth1 name eth0 &&
    addr "$ns_c" eth0 $C4/24 $C6/64 &&
    addr "$ns_r" eth0 $RL4/24 $RL6/64 &&
    addr "$ns_r" eth1 $RW4/24 $RW6/64 &&
    addr "$ns_s" eth0 $S4/24 $S6/64 &&
    neigh "$ns_c" eth0 $RL4 $MAC_RL && neigh "$ns_c" eth0 $RL6 $MAC_RL &&
    neigh "$ns_r" eth0 $C4 $MAC_C && neigh "$ns_r" eth0 $C6 $MAC_C &&
    neigh "$ns_r" eth1 $S4 $MAC_S && neigh "$ns_r" eth1 $S6 $MAC_S &&
    neigh "$ns_s" eth0 $RW4 $MAC_RW && neigh "$ns_s" eth0 $RW6 $MAC_RW &&
    nsx "$ns_r" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward
                       echo 1 > /proc/sys/net/ipv6/conf/all/forwarding' || return 1
    UP=("$ns_c:eth0" "$ns_r:eth0" "$ns_r:eth1" "$ns_s:eth0")
  fi
  for nd in "${UP[@]}"; do ip -n "${nd%%:*}" link set "${nd#*:}" up || return 1; done
  if [[ $router -eq 1 ]]; then
    ip -n "$ns_c" route add default via $RL4 &&
    ip -n "$ns_c" -6 route add default via $RL6 &&
    ip -n "$ns_s" route add default via $RW4 &&
    ip -n "$ns_s" -6 route add default via $RW6 || return 1
  fi
  for nd in "${UP[@]}"; do
    wait_for 100 sh -c "ip -n '${nd%%:*}' link show '${nd#*:}' | grep -q LOWER_UP" || {
      echo "topology: link ${nd} never came up" >&2
      return 1
    }
  done
}

topology_main() {
  local router=0 cmd=${1:-} prefix tag
  shift || true
  [[ ${1:-} == --router ]] && { router=1; shift; }
  if [[ $# -ne 2 || ! $1 =~ ^[a-z0-9]+$ || ! $2 =~ ^[0-9]+$ ]] || [[ $cmd != up && $cmd != down ]]; then
    sed -n '2,/^# Needs root/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    return 2
  fi
  [[ $EUID -eq 0 ]] || { echo "topology: needs root" >&2; return 1; }
  prefix=$1 tag=$2
  local ns_c=$prefix-c-$tag ns_s=$prefix-s-$tag ns_r=$prefix-r-$tag
  if [[ $cmd == down ]]; then
    for ns in "$ns_c" "$ns_s" "$ns_r"; do del_ns "$ns"; done
    return 0
  fi
  if ! build_topology "$router" "$ns_c" "$ns_s" "$ns_r"; then
    for ns in "$ns_c" "$ns_s" "$ns_r"; do del_ns "$ns"; done
    return 1
  fi
  echo "C4=$C4"; echo "S4=$S4"; echo "C6=$C6"; echo "S6=$S6"
  if [[ $router -eq 1 ]]; then
    echo "RL4=$RL4"; echo "RW4=$RW4"; echo "RL6=$RL6"; echo "RW6=$RW6"
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  topology_main "$@"
fi
