{
  "targets": [
    {
      "target_name": "lvs_packet",
      "sources": ["packet_socket.c", "icmp_socket.c", "vrrp_socket.c", "tcp_relay.c", "tcp_acceptor.c", "xdp_socket.c", "xdp_filter.c", "bpf_sys.c", "poll_reader.c", "freebind_socket.c", "netlink_addr.c", "announce_socket.c", "sd_notify.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
