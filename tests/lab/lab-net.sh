# lab-net.sh -- the lab's network: namespaces joined by veth pairs to a bridge in a namespace of its own
# shellcheck shell=bash
# (source me after lab-lib.sh). Nothing is created in the host's own namespace: each veth pair is made
# inside the bridge namespace and its peer moved straight into the host's namespace; no namespace has a
# route beyond 192.0.2.0/24.

# lab_netns_usable -- 0 when we may create network namespaces here.
lab_netns_usable() {
    [ "$(id -u)" = 0 ] || return 1
    command -v ip >/dev/null || return 1
    local probe="alfup-probe-$$"
    ip netns add "$probe" 2>/dev/null || return 1
    ip netns del "$probe"
}

# lab_net_up -- the bridge namespace, one namespace per host, a veth pair each, addresses, loopbacks up.
lab_net_up() {
    local br host ns
    br=$(lab_ns br)
    lab_state_add "netns $br"
    ip netns add "$br" || return 1
    ip -n "$br" link set lo up || return 1
    ip -n "$br" link add br0 type bridge || return 1
    ip -n "$br" link set br0 up || return 1
    for host in "${LAB_HOSTS[@]}"; do
        ns=$(lab_ns "$host")
        lab_state_add "netns $ns"
        ip netns add "$ns" || return 1
        ip -n "$ns" link set lo up || return 1
        ip -n "$br" link add "v-$host" type veth peer name eth0 netns "$ns" || return 1
        ip -n "$br" link set "v-$host" master br0 up || return 1
        ip -n "$ns" addr add "$(lab_addr "$host")/24" dev eth0 || return 1
        ip -n "$ns" link set eth0 up || return 1
    done
    # Wait until every host's link has its carrier (10 s; the agents retry their connections anyway).
    local i
    for host in "${LAB_HOSTS[@]}"; do
        for i in $(seq 100); do
            ip -n "$(lab_ns "$host")" -o link show eth0 | grep -q LOWER_UP && break
            sleep 0.1
        done
        ip -n "$(lab_ns "$host")" -o link show eth0 | grep -q LOWER_UP || lab_say "$host: eth0 has no carrier after 10 s"
    done
}

# lab_net_down -- kills what still runs inside the lab's namespaces, then deletes them (and so their veths).
lab_net_down() {
    local name pid
    for name in $(awk '$1 == "netns" {print $2}' "$LAB_DIR/lab.state" 2>/dev/null | tac); do
        ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$name" || continue
        for pid in $(ip netns pids "$name" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$name" || lab_say "could not delete namespace $name"
    done
}

# lab_net_cut HOST -- takes HOST's bridge port (v-HOST in the bridge namespace) down: HOST's eth0 loses its
# carrier and nothing reaches HOST or leaves it over the lab network, as when a cable is pulled. Its processes
# and connections stay (netns mode only).
lab_net_cut() {
    [ "$LAB_MODE" = netns ] || { lab_say "lab_net_cut needs netns mode"; return 1; }
    ip -n "$(lab_ns br)" link set "v-$1" down
}

# lab_net_restore HOST -- brings HOST's bridge port up again and waits (15 s) until its eth0 has its carrier back.
lab_net_restore() {
    [ "$LAB_MODE" = netns ] || { lab_say "lab_net_restore needs netns mode"; return 1; }
    ip -n "$(lab_ns br)" link set "v-$1" up || return 1
    local i
    for i in $(seq 150); do
        ip -n "$(lab_ns "$1")" -o link show eth0 | grep -q LOWER_UP && return 0
        sleep 0.1
    done
    lab_say "$1: eth0 has no carrier 15 s after its bridge port came up"
    return 1
}
