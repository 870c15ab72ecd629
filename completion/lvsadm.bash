# bash completion for lvsadm (LVS.ts) and lvsd.
# Installed by `npm install -g` into the package; source it from ~/.bashrc, or link it where
# bash-completion looks:  ln -s "$(npm root -g)/lvs-ts/completion/lvsadm.bash" \
#   /etc/bash_completion.d/lvsadm
# Virtual services after -t/-u/-f come from the running lvsd (lvsadm -S -n), as they are typed.

_lvsadm_services() {
  # -S -n prints "-A -t 192.0.2.10:80 -s rr"; pick the service of the protocol asked for.
  local proto=$1 sock=()
  [[ -n $_lvsadm_socket ]] && sock=(--socket "$_lvsadm_socket")
  lvsadm "${sock[@]}" -S -n 2>/dev/null | awk -v p="$proto" '$1 == "-A" && $2 == p { print $3 }'
}

_lvsadm() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
  fi
  local i _lvsadm_socket=
  for ((i = 1; i < cword; i++)); do
    [[ ${words[i]} == --socket ]] && _lvsadm_socket=${words[i + 1]}
  done

  case $prev in
    -s | --scheduler)
      COMPREPLY=($(compgen -W 'rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh' -- "$cur"))
      return ;;
    -t | --tcp-service) COMPREPLY=($(compgen -W "$(_lvsadm_services -t)" -- "$cur")); return ;;
    -u | --udp-service) COMPREPLY=($(compgen -W "$(_lvsadm_services -u)" -- "$cur")); return ;;
    --sctp-service) COMPREPLY=($(compgen -W "$(_lvsadm_services --sctp-service)" -- "$cur")); return ;;
    -f | --fwmark-service) COMPREPLY=($(compgen -W "$(_lvsadm_services -f)" -- "$cur")); return ;;
    --start-daemon | --stop-daemon) COMPREPLY=($(compgen -W 'master backup' -- "$cur")); return ;;
    --tun-type) COMPREPLY=($(compgen -W 'ipip gue gre' -- "$cur")); return ;;
    --pe) COMPREPLY=($(compgen -W 'sip' -- "$cur")); return ;;
    --proxy-protocol) COMPREPLY=($(compgen -W 'v1 v2' -- "$cur")); return ;;
    -b | --sched-flags)
      COMPREPLY=($(compgen -W 'sh-fallback sh-port mh-fallback mh-port flag-1 flag-2 flag-3' -- "$cur"))
      return ;;
    --mcast-interface | -F | --ifname)
      COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
    --socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -r | --real-server | -w | --weight | -x | --u-threshold | -y | --l-threshold | -p | --persistent | \
      -M | --netmask | --syncid | --sync-maxlen | --mcast-group | --mcast-port | --mcast-ttl | --tun-port | \
      -z | --laddr)
      return ;;
  esac

  if [[ $cword -eq 1 && $cur != -* ]]; then
    COMPREPLY=($(compgen -W 'lab' -- "$cur"))
    return
  fi
  if [[ ${words[1]} == lab ]]; then
    case $cword in
      2) COMPREPLY=($(compgen -W 'up down status trace fail join --help' -- "$cur")) ;;
      3) COMPREPLY=($(compgen -W 'nat dr tun fullnat ha cluster' -- "$cur")) ;;
      *) [[ ${words[3]} == cluster ]] &&
        COMPREPLY=($(compgen -W '--directors --method --sched --sync --flows' -- "$cur")) ;;
    esac
    return
  fi

  local commands='-A --add-service -E --edit-service -D --delete-service -C --clear -R --restore
    -S --save -a --add-server -e --edit-server -d --delete-server -L -l --list -Z --zero --set
    --start-daemon --stop-daemon -h --help -v --version -P --add-laddr -Q --del-laddr -G --get-laddr
    --help-extensions --sysctl --bgp --bgp-drain --bgp-undrain'
  local options='-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -6 --ipv6
    -s --scheduler --pe -p --persistent -M --netmask -r --real-server -g --gatewaying -i --ipip
    -m --masquerading --fullnat --tun-type --tun-port --tun-nocsum --tun-csum --tun-remcsum
    -w --weight -x --u-threshold -y --l-threshold -c --connection --timeout --daemon --stats --rate
    --exact -X --thresholds --persistent-conn --tun-info --nosort --sort -o --ops -n --numeric
    -b --sched-flags --syncid --sync-maxlen --mcast-interface --mcast-group --mcast-port --mcast-ttl
    -z --laddr -F --ifname --proxy-protocol --status --health --availability --vrrp --sync-origin
    --socket'
  COMPREPLY=($(compgen -W "$commands $options" -- "$cur"))
}

_lvsd() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
    --dataplane) COMPREPLY=($(compgen -W 'proxy packet none' -- "$cur")); return ;;
    --interface) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
    --xdp|--xdp-offload) COMPREPLY=($(compgen -W 'auto on off' -- "$cur")); return ;;
    --log-level) COMPREPLY=($(compgen -W 'trace debug info warn error fatal silent' -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W 'json text' -- "$cur")); return ;;
    --mark-format) COMPREPLY=($(compgen -W 'lvsd iptables nft' -- "$cur")); return ;;
    --sysctl-files) COMPREPLY=($(compgen -W 'none' -f -- "$cur")); return ;;
    --http-token-file | --mark-file | --bgp-include | --bgp-socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --config-format) COMPREPLY=($(compgen -W 'keepalived ldirectord' -- "$cur")); return ;;
    --socket | --restore | --config | --check-config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --conn-tab-bits | --config-id | --mark | --sysctl | --http | --bgp-protocol | --ftp-ports | --listen-backlog) return ;;
  esac
  if [[ $COMP_CWORD -eq 1 && $cur != -* ]]; then
    COMPREPLY=($(compgen -W 'simulate rs-setup rs-agent' -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W '--socket --restore --dataplane --interface --ingress-bypass --xdp
    --xdp-offload --conn-tab-bits --ftp-ports --listen-backlog --log-level --log-format --demo --config --config-format --config-id
    --check-config --mark --mark-file --mark-format --sysctl --sysctl-files --http
    --http-token-file --bgp --bgp-include --bgp-socket --bgp-protocol --help --version' -- "$cur"))
}

complete -F _lvsadm lvsadm
complete -F _lvsd lvsd
