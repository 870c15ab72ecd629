/*
 * VRRP raw socket for LVS.ts (see src/io/vrrp/vrrp-socket.ts), compiled into the same addon as
 * packet_socket.c and registered from its init. Node has no raw IP sockets, and VRRP adverts are
 * IP protocol 112 with TTL / hop limit 255 (RFC 3768 §5.2.3, RFC 5798 §5.1.1.3 and §5.1.2.3).
 *
 * Same rules as packet_socket.c and icmp_socket.c: every syscall failure comes back as a -errno
 * int (the failed step is kept for vrrpFailedStep), nothing here throws for one, and the receive
 * checks live in TypeScript (src/vrrp/vrrp-receive.ts).
 *
 * One socket per instance endpoint sends and receives, set up as keepalived's read and send
 * sockets are (keepalived/vrrp/vrrp.c open_vrrp_read_socket(), open_vrrp_send_socket()):
 * - SO_BINDTODEVICE to the instance's interface, TTL / hop limit 255 for unicast and multicast;
 * - multicast: the group joined on the interface (ip_mreqn / ipv6_mreq with its index), loop off
 *   so a router never hears itself, and the socket bound to the group address: a raw socket bound
 *   to an address only gets datagrams sent to it (net/ipv4/raw.c raw_v4_match(),
 *   net/ipv6/raw.c raw_v6_match()), so unicast VRRP for other instances stays out;
 * - unicast with a source address: bound to it (IP_FREEBIND so it may come later, as keepalived);
 * - IPv4: the kernel writes the IP header (no IP_HDRINCL); IP_PKTINFO reports the ifindex and
 *   the datagram comes with its header, from which JS reads TTL, source and destination;
 * - IPv4 with AH (FLAG_AH): IP protocol 51 and IP_HDRINCL, JS sends whole IP packets;
 * - IPv6: IPV6_CHECKSUM at offset 6 makes the kernel fill in the VRRPv3 checksum with its IPv6
 *   pseudo-header on send and drop bad ones on receive (RFC 5798 §5.2.8, ipv6(7), raw(7));
 *   IPV6_RECVHOPLIMIT and IPV6_RECVPKTINFO report hop limit, destination and ifindex; a
 *   configured source goes into every send as IPV6_PKTINFO (keepalived
 *   vrrp_build_ancillary_data()).
 *
 * Receive: one unref'd uv_poll_t (the instance's timers keep the loop alive). When readable,
 * every queued datagram is copied into a fixed record of a caller-provided buffer and ONE JS
 * callback gets the count.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "poll_reader.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bumped when the JS-visible VRRP contract changes (checked by src/io/vrrp/vrrp-binding.ts). */
#define LVS_VRRP_ABI 2
#define IPPROTO_VRRP 112
/* Record: 64 bytes of facts, then the datagram (largest advert: IPv6 with 255 addresses is
 * 8 + 255 * 16 = 4088 bytes; IPv4 with 255 and a 60-byte header is 1128). */
#define REC_HEAD 64
#define REC_DATA 4096
#define REC_BYTES (REC_HEAD + REC_DATA)
#define FLAG_MULTICAST 1
/* IPv4 only: IP protocol 51 (AH) with IP_HDRINCL, as keepalived opens an AH instance's sockets. */
#define FLAG_AH 2

/* Which step of vrrpOpen failed (vrrpFailedStep), named in src/io/vrrp/vrrp-binding.ts. */
enum {
  STEP_NONE,
  STEP_SOCKET,
  STEP_IFINDEX,
  STEP_BINDTODEVICE,
  STEP_TTL,
  STEP_MULTICAST_IF,
  STEP_MULTICAST_LOOP,
  STEP_MEMBERSHIP,
  STEP_CHECKSUM,
  STEP_PKTINFO,
  STEP_BIND,
  STEP_HDRINCL,
};

typedef struct {
  lvs_reader rd;
  int fd, family, fail_step;
  unsigned ifindex;
  int has_src;
  struct in6_addr src6; /* the IPv6 source for IPV6_PKTINFO, when has_src */
  uint8_t *out;
  uint32_t out_cap; /* records */
} vsock;

static vsock *args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  return lvs_handle_args(env, info, n, argv, "not a VRRP socket handle");
}

static void teardown(vsock *s) {
  lvs_reader_release(&s->rd);
  s->out = NULL;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  teardown(data);
  free(data);
}

static const lvs_reader_ops reader_ops;

/* vrrpCreateHandle(): an unopened handle, closed by GC if JS forgets close(). */
static napi_value js_create(napi_env env, napi_callback_info info) {
  (void)info;
  vsock *s = calloc(1, sizeof(*s));
  if (!s) return lvs_num(env, -ENOMEM);
  lvs_reader_init(&s->rd, env, s, &reader_ops, &s->fd);
  s->fd = -1;
  return lvs_wrap_handle(env, s, finalize);
}

static int fail(vsock *s, int step, int err) {
  close(s->fd);
  s->fd = -1;
  s->fail_step = step;
  return -err;
}

static int setint(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v); }

static int open_v4(vsock *s, const uint8_t *src, int mcast) {
  int fd = s->fd;
  if (setint(fd, IPPROTO_IP, IP_TTL, 255) < 0 || setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255) < 0)
    return fail(s, STEP_TTL, errno);
  /* Multicast sends leave by the interface, from the configured source when there is one (the
   * socket is bound to the group, so this is where mcast_src_ip goes: raw_sendmsg() uses mc_addr). */
  struct ip_mreqn mr;
  memset(&mr, 0, sizeof mr);
  mr.imr_ifindex = (int)s->ifindex;
  if (src) memcpy(&mr.imr_address, src, 4);
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr) < 0) return fail(s, STEP_MULTICAST_IF, errno);
  if (setint(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) < 0) return fail(s, STEP_MULTICAST_LOOP, errno);
  /* Only groups joined by this socket, not every group of the host (ip(7) IP_MULTICAST_ALL);
   * best effort, kernels before 2.6.31 lack it. */
  setint(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
  if (setint(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0) return fail(s, STEP_PKTINFO, errno);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  if (mcast) {
    memset(&mr, 0, sizeof mr);
    mr.imr_multiaddr.s_addr = htonl(0xe0000012); /* 224.0.0.18 */
    mr.imr_ifindex = (int)s->ifindex;
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) return fail(s, STEP_MEMBERSHIP, errno);
    a.sin_addr.s_addr = mr.imr_multiaddr.s_addr;
  } else if (src) {
    setint(fd, IPPROTO_IP, IP_FREEBIND, 1);
    memcpy(&a.sin_addr, src, 4);
  } else {
    return 0;
  }
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) return fail(s, STEP_BIND, errno);
  return 0;
}

static int open_v6(vsock *s, const uint8_t *src, int mcast) {
  int fd = s->fd;
  if (setint(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255) < 0 || setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) < 0)
    return fail(s, STEP_TTL, errno);
  if (setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)s->ifindex) < 0) return fail(s, STEP_MULTICAST_IF, errno);
  if (setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) return fail(s, STEP_MULTICAST_LOOP, errno);
  setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0); /* best effort, Linux 4.20+ */
  /* The checksum field is at byte 6 of the VRRP header (RFC 5798 §5.2.8). */
  if (setint(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 6) < 0) return fail(s, STEP_CHECKSUM, errno);
  if (setint(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0 || setint(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0)
    return fail(s, STEP_PKTINFO, errno);
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  a.sin6_scope_id = s->ifindex; /* link-local group and sources need it; ignored for global ones */
  if (src) {
    memcpy(&s->src6, src, 16);
    s->has_src = 1;
  }
  if (mcast) {
    struct ipv6_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.ipv6mr_multiaddr.s6_addr[0] = 0xff;
    mr.ipv6mr_multiaddr.s6_addr[1] = 0x02;
    mr.ipv6mr_multiaddr.s6_addr[15] = 0x12; /* ff02::12 */
    mr.ipv6mr_interface = s->ifindex;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof mr) < 0) return fail(s, STEP_MEMBERSHIP, errno);
    a.sin6_addr = mr.ipv6mr_multiaddr;
  } else if (src) {
    setint(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1);
    memcpy(&a.sin6_addr, src, 16);
  } else {
    return 0;
  }
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) return fail(s, STEP_BIND, errno);
  return 0;
}

static int do_open(vsock *s, int family, const char *ifname, const uint8_t *src, int flags) {
  if (s->fd >= 0) return -EISCONN;
  s->fail_step = STEP_NONE;
  s->has_src = 0;
  s->ifindex = if_nametoindex(ifname);
  if (!s->ifindex) {
    s->fail_step = STEP_IFINDEX;
    return -ENODEV;
  }
  /* An AH instance (auth type 2, VRRPv2 over IPv4) sends and receives IP protocol 51
   * (keepalived/vrrp/vrrp_scheduler.c: proto = IPPROTO_AH for VRRP_AUTH_AH). */
  int ah = family == 4 && (flags & FLAG_AH) != 0;
  s->fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ah ? IPPROTO_AH : IPPROTO_VRRP);
  if (s->fd < 0) {
    s->fail_step = STEP_SOCKET;
    return -errno;
  }
  if (setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0)
    return fail(s, STEP_BINDTODEVICE, errno);
  s->family = family;
  int mcast = (flags & FLAG_MULTICAST) != 0;
  int r = family == 6 ? open_v6(s, src, mcast) : open_v4(s, src, mcast);
  /* The AH ICV covers the IP header's ID, addresses and TTL, so JS writes the whole header
   * (keepalived/vrrp/vrrp_if.c if_setsockopt_hdrincl()); the kernel still fills in its checksum
   * (raw(7)). Multicast sends still leave by IP_MULTICAST_IF (net/ipv4/raw.c raw_sendmsg()). */
  if (r == 0 && ah && setint(s->fd, IPPROTO_IP, IP_HDRINCL, 1) < 0) return fail(s, STEP_HDRINCL, errno);
  return r;
}

/* vrrpOpen(h, family 4|6, ifname, src: Uint8Array (empty, 4 or 16 bytes), flags) -> 0 | -errno */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  vsock *s = args(env, info, 5, argv);
  if (!s) return NULL;
  uint32_t family, flags;
  char ifname[64];
  size_t nlen, slen;
  void *sdata;
  if (napi_get_value_uint32(env, argv[1], &family) != napi_ok || (family != 4 && family != 6))
    return lvs_num(env, -EAFNOSUPPORT);
  if (napi_get_value_string_utf8(env, argv[2], ifname, sizeof ifname, &nlen) != napi_ok || nlen == 0 ||
      nlen >= IF_NAMESIZE)
    return lvs_num(env, -EINVAL);
  if (!lvs_typed(env, argv[3], napi_uint8_array, &sdata, &slen) || (slen != 0 && slen != (family == 6 ? 16u : 4u)))
    return lvs_num(env, -EINVAL);
  if (napi_get_value_uint32(env, argv[4], &flags) != napi_ok) return lvs_num(env, -EINVAL);
  return lvs_num(env, do_open(s, (int)family, ifname, slen ? sdata : NULL, (int)flags));
}

/* vrrpFailedStep(h) -> the STEP_* of the last failed vrrpOpen (0 when none). */
static napi_value js_failed_step(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  vsock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_num(env, s->fail_step);
}

/* vrrpIfindex(h) -> the interface's index, or -EBADF when not open. */
static napi_value js_ifindex(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  vsock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_num(env, s->fd >= 0 ? (int64_t)s->ifindex : -EBADF);
}

/* vrrpSend(h, vrrp: Uint8Array, dst: Uint8Array(4|16)) -> 0 | -errno (with FLAG_AH: the whole IP packet) */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  vsock *s = args(env, info, 3, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  size_t plen, alen;
  void *pdata, *adata;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &pdata, &plen) || plen > REC_DATA) return lvs_num(env, -EINVAL);
  if (!lvs_typed(env, argv[2], napi_uint8_array, &adata, &alen) || alen != (s->family == 6 ? 16u : 4u))
    return lvs_num(env, -EINVAL);
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {pdata, plen};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (s->family == 6) {
    struct sockaddr_in6 *a = (void *)&ss;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, adata, 16);
    a->sin6_scope_id = s->ifindex;
    sl = sizeof *a;
    if (s->has_src) {
      memset(&ctl, 0, sizeof ctl);
      m.msg_control = ctl.buf;
      m.msg_controllen = sizeof ctl.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
      struct in6_pktinfo pi;
      memset(&pi, 0, sizeof pi);
      pi.ipi6_addr = s->src6;
      pi.ipi6_ifindex = s->ifindex;
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
  } else {
    struct sockaddr_in *a = (void *)&ss;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, adata, 4);
    sl = sizeof *a;
  }
  m.msg_name = &ss;
  m.msg_namelen = sl;
  if (sendmsg(s->fd, &m, MSG_DONTWAIT) < 0) return lvs_num(env, -errno);
  return lvs_num(env, 0);
}

static void put_u32(uint8_t *r, uint32_t v) { memcpy(r, &v, 4); }

/*
 * Reads one datagram into rec: [0] family, [1] IP header bytes at the start of the data, [2..4)
 * TTL / hop limit as int16 (-1 unknown), [4..8) ifindex, [8..12) data length, [16..32) source,
 * [32..48) destination, data from byte 64. Returns 1, 0 for a datagram to skip, or -errno
 * (-EAGAIN when the queue is empty).
 */
static int read_one(vsock *s, uint8_t *rec) {
  uint8_t *data = rec + REC_HEAD;
  union {
    char buf[256];
    struct cmsghdr align;
  } ctl;
  struct sockaddr_in6 from;
  struct iovec iov = {data, REC_DATA};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  memset(&from, 0, sizeof from);
  m.msg_name = &from;
  m.msg_namelen = sizeof from;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl.buf;
  m.msg_controllen = sizeof ctl.buf;
  ssize_t n = recvmsg(s->fd, &m, MSG_DONTWAIT);
  if (n < 0) return -errno;
  if (m.msg_flags & MSG_TRUNC) return 0; /* larger than any advert */
  memset(rec, 0, REC_HEAD);
  int16_t ttl = -1;
  uint32_t ifindex = 0;
  rec[0] = (uint8_t)s->family;
  if (s->family == 4) {
    /* raw(7): IPv4 raw sockets receive the IP header too; it holds TTL, source and destination. */
    size_t ihl = n >= 20 ? (size_t)(data[0] & 15) * 4 : 0;
    if (ihl < 20 || (size_t)n < ihl) return 0;
    rec[1] = (uint8_t)ihl;
    ttl = data[8];
    memcpy(rec + 16, data + 12, 4);
    memcpy(rec + 32, data + 16, 4);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        ifindex = (uint32_t)pi.ipi_ifindex;
      }
    }
  } else {
    memcpy(rec + 16, &from.sin6_addr, 16);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo pi;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        memcpy(rec + 32, &pi.ipi6_addr, 16);
        ifindex = pi.ipi6_ifindex;
      } else if (c->cmsg_type == IPV6_HOPLIMIT) {
        int h;
        memcpy(&h, CMSG_DATA(c), sizeof h);
        ttl = (int16_t)h;
      }
    }
  }
  memcpy(rec + 2, &ttl, 2);
  put_u32(rec + 4, ifindex);
  put_u32(rec + 8, (uint32_t)n);
  return 1;
}

/* The drain loop's one round (poll_reader.h): every queued datagram, one record each. */
static int reader_collect(void *sock, uint32_t *frames) {
  vsock *s = sock;
  uint32_t n = 0;
  while (n < s->out_cap && s->fd >= 0) {
    int r = read_one(s, s->out + (size_t)n * REC_BYTES);
    /* EAGAIN: empty, or (IPv6) a datagram with a bad checksum was just dropped
     * (net/ipv6/raw.c rawv6_recvmsg() csum_copy_err); level-triggered polling brings us back. */
    if (r < 0) break;
    n += (uint32_t)r;
  }
  *frames = n;
  return n != 0;
}

static void reader_teardown(void *sock) { teardown(sock); }

/* Records are copies: nothing to give back after the callback. */
static const lvs_reader_ops reader_ops = {reader_collect, NULL, reader_teardown};

/* vrrpReadStart(h, out: Uint8Array (records × REC_BYTES, 8-byte aligned), cb(count, err)) -> 0 | -errno */
static napi_value js_read_start(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  vsock *s = args(env, info, 3, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  if (s->rd.poll) return lvs_num(env, -EALREADY);
  size_t len;
  void *data;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &data, &len) || len < REC_BYTES || ((uintptr_t)data & 7))
    return lvs_num(env, -EINVAL);
  uv_poll_t *p;
  int r = lvs_reader_watch(&s->rd, argv[1], argv[2], "LVS_VRRP_SOCKET", 1, &p);
  if (r == LVS_POLL_NAPI_FAILED) return NULL;
  if (r < 0) return lvs_num(env, r);
  s->out = data;
  s->out_cap = (uint32_t)(len / REC_BYTES);
  s->rd.max_rounds = 4;
  return lvs_reader_begin(&s->rd, p, lvs_reader_on_readable);
}

/* vrrpClose(h) -> 0. Inside the receive callback the teardown waits until it returns. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  vsock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_reader_close_js(&s->rd);
}

napi_value lvs_vrrp_register(napi_env env, napi_value exports);

/* Adds the vrrp* functions to the addon's exports; called from packet_socket.c's init. */
napi_value lvs_vrrp_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {
      {"vrrpCreateHandle", js_create}, {"vrrpOpen", js_open},           {"vrrpFailedStep", js_failed_step},
      {"vrrpIfindex", js_ifindex},     {"vrrpSend", js_send},           {"vrrpReadStart", js_read_start},
      {"vrrpClose", js_close},
  };
  if (!lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0])) return NULL;
  napi_set_named_property(env, exports, "vrrpAbiVersion", lvs_num(env, LVS_VRRP_ABI));
  napi_set_named_property(env, exports, "vrrpRecordBytes", lvs_num(env, REC_BYTES));
  return exports;
}
