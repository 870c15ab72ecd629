/*
 * Thin ICMP echo binding for LVS.ts (see src/io/icmp/icmp-socket.ts), compiled into the same
 * addon as packet_socket.c and registered from its init. Node has no ICMP sockets, so PING_CHECK
 * would otherwise spawn `ping` per check.
 *
 * Same rules as packet_socket.c: every syscall failure comes back as a -errno int, nothing here
 * throws for one, and validation, state, matching and timeouts live in TypeScript.
 *
 * Two socket kinds, chosen by the caller:
 * - "ping socket" socket(AF_INET[6], SOCK_DGRAM, IPPROTO_ICMP[V6]): unprivileged when the gid is
 *   inside net.ipv4.ping_group_range (per network namespace; "1 0", nobody, by default on older
 *   kernels, but root's gid 0 is often included). The kernel owns the echo identifier (it is the
 *   socket's "port", learned here by bind + getsockname), rewrites it in what we send, computes
 *   the checksum and hands us only the replies that carry it. ICMP errors about our requests
 *   arrive on the error queue with IP_RECVERR / IPV6_RECVERR.
 * - raw socket SOCK_RAW (needs CAP_NET_RAW): sees every ICMP message of the host, so a kernel
 *   filter (ICMP_FILTER / ICMP6_FILTER) passes only echo replies and errors, and records whose
 *   identifier is not ours are dropped here. ICMP errors are parsed from the quoted header.
 *
 * Receive: one uv_poll_t per socket (unref'd: pending checks keep the loop alive by their JS
 * timers, an idle pinger does not). When readable, every queued message (error queue first) is
 * parsed into a fixed 56-byte record in a caller-provided buffer and ONE JS callback gets the
 * count. The receive time is the kernel's SO_TIMESTAMPNS stamp moved onto CLOCK_MONOTONIC (the
 * clock of process.hrtime), so the RTT does not include event-loop latency.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "poll_reader.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bumped when the JS-visible ICMP contract changes (checked by src/io/icmp/icmp-binding.ts). */
#define LVS_ICMP_ABI 1
#define REC_BYTES 56
#define KIND_DGRAM 1
#define KIND_RAW 2
#define REC_REPLY 1
#define REC_ERROR 2
#define MAX_PAYLOAD 2048
#define RCVBUF_BYTES (4 << 20)
/* linux/icmp.h's ICMP_FILTER; that header clashes with glibc's, so only the constant is copied. */
#define LVS_ICMP_FILTER 1

typedef struct {
  lvs_reader rd; /* the records `out` are its buffer */
  int fd, family, kind;
  uint16_t ident;
  uint8_t *out;
  uint32_t out_cap; /* records */
} isock;

static isock *args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  return lvs_handle_args(env, info, n, argv, "not an ICMP socket handle");
}

static void teardown(isock *s) {
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

/* icmpCreateHandle(): an unopened handle, closed by GC if JS forgets close(). */
static napi_value js_create(napi_env env, napi_callback_info info) {
  (void)info;
  isock *s = calloc(1, sizeof(*s));
  if (!s) return lvs_num(env, -ENOMEM);
  lvs_reader_init(&s->rd, env, s, &reader_ops, &s->fd);
  s->fd = -1;
  return lvs_wrap_handle(env, s, finalize);
}

static int fail(isock *s, int err) {
  close(s->fd);
  s->fd = -1;
  return -err;
}

static int do_open(isock *s, int family, int kind, uint16_t ident) {
  if (s->fd >= 0) return -EISCONN;
  int af = family == 6 ? AF_INET6 : AF_INET;
  int proto = family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
  int type = kind == KIND_RAW ? SOCK_RAW : SOCK_DGRAM;
  s->fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (s->fd < 0) return -errno;
  int one = 1;
  if (setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) return fail(s, errno);
  /* Every check of a delay_loop round may go out in one burst and replies queue until the loop
   * reads them: at ~700 bytes of skb each, the default 208 KiB drops replies past ~300. Ask for
   * 4 MiB (past rmem_max only with CAP_NET_ADMIN, else capped there); best effort. */
  int rcv = RCVBUF_BYTES;
  if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (kind == KIND_DGRAM) {
    /* bind to port 0 makes the kernel pick the echo identifier now, so JS can match on it. */
    struct sockaddr_storage ss;
    socklen_t l = af == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    memset(&ss, 0, sizeof ss);
    ss.ss_family = (sa_family_t)af;
    if (bind(s->fd, (struct sockaddr *)&ss, l) < 0) return fail(s, errno);
    if (getsockname(s->fd, (struct sockaddr *)&ss, &l) < 0) return fail(s, errno);
    ident = ntohs(af == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    int r = af == AF_INET6 ? setsockopt(s->fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof one)
                           : setsockopt(s->fd, SOL_IP, IP_RECVERR, &one, sizeof one);
    if (r < 0) return fail(s, errno);
  } else if (af == AF_INET) {
    /* Bit n set blocks ICMP type n: pass echo reply 0, unreachable 3, quench 4, time exceeded 11,
     * parameter problem 12. */
    uint32_t mask = ~((1u << 0) | (1u << 3) | (1u << 4) | (1u << 11) | (1u << 12));
    if (setsockopt(s->fd, SOL_RAW, LVS_ICMP_FILTER, &mask, sizeof mask) < 0) return fail(s, errno);
  } else {
    struct icmp6_filter f;
    ICMP6_FILTER_SETBLOCKALL(&f);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
    ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
    ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
    if (setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f) < 0) return fail(s, errno);
  }
  s->family = family;
  s->kind = kind;
  s->ident = ident;
  return 0;
}

/* icmpOpen(h, family 4|6, kind 1 dgram|2 raw, ident for raw) -> 0 | -errno */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  isock *s = args(env, info, 4, argv);
  if (!s) return NULL;
  uint32_t family, kind, ident;
  if (napi_get_value_uint32(env, argv[1], &family) != napi_ok || (family != 4 && family != 6)) return lvs_num(env, -EAFNOSUPPORT);
  if (napi_get_value_uint32(env, argv[2], &kind) != napi_ok || (kind != KIND_DGRAM && kind != KIND_RAW)) return lvs_num(env, -EINVAL);
  if (napi_get_value_uint32(env, argv[3], &ident) != napi_ok) return lvs_num(env, -EINVAL);
  return lvs_num(env, do_open(s, (int)family, (int)kind, (uint16_t)ident));
}

/* icmpIdent(h) -> the echo identifier replies must carry (kernel-chosen for ping sockets). */
static napi_value js_ident(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  isock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_num(env, s->fd >= 0 ? s->ident : -EBADF);
}

static uint16_t csum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* icmpSend(h, addr: Uint8Array(4|16), seq, payload: Uint8Array) -> 0 | -errno */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  isock *s = args(env, info, 4, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  size_t alen, plen;
  void *adata, *pdata;
  uint32_t seq;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &adata, &alen) || alen != (s->family == 6 ? 16u : 4u))
    return lvs_num(env, -EINVAL);
  if (napi_get_value_uint32(env, argv[2], &seq) != napi_ok) return lvs_num(env, -EINVAL);
  if (!lvs_typed(env, argv[3], napi_uint8_array, &pdata, &plen)) return lvs_num(env, -EINVAL);
  if (plen > MAX_PAYLOAD) return lvs_num(env, -EMSGSIZE);
  uint8_t pkt[8 + MAX_PAYLOAD];
  pkt[0] = s->family == 6 ? ICMP6_ECHO_REQUEST : 8;
  pkt[1] = 0;
  pkt[2] = pkt[3] = 0;
  pkt[4] = (uint8_t)(s->ident >> 8);
  pkt[5] = (uint8_t)s->ident;
  pkt[6] = (uint8_t)(seq >> 8);
  pkt[7] = (uint8_t)seq;
  if (plen) memcpy(pkt + 8, pdata, plen);
  /* ICMPv6 checksums (pseudo-header) are always the kernel's; ICMPv4 ones only on ping sockets. */
  if (s->family == 4) {
    uint16_t c = csum(pkt, 8 + plen);
    pkt[2] = (uint8_t)(c >> 8);
    pkt[3] = (uint8_t)c;
  }
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (s->family == 6) {
    struct sockaddr_in6 *a = (void *)&ss;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, adata, 16);
    sl = sizeof *a;
  } else {
    struct sockaddr_in *a = (void *)&ss;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, adata, 4);
    sl = sizeof *a;
  }
  if (sendto(s->fd, pkt, 8 + plen, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0) return lvs_num(env, -errno);
  return lvs_num(env, 0);
}

static double mono_ms(const struct timespec *kernel_real) {
  struct timespec mono, real;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  double now = (double)mono.tv_sec * 1e3 + (double)mono.tv_nsec / 1e6;
  if (!kernel_real) return now;
  clock_gettime(CLOCK_REALTIME, &real);
  double age = ((double)real.tv_sec - (double)kernel_real->tv_sec) * 1e3 +
               ((double)real.tv_nsec - (double)kernel_real->tv_nsec) / 1e6;
  return age >= 0 && age < 60e3 ? now - age : now; /* a stepped wall clock: fall back to now */
}

/* errno the kernel would report for an ICMP error (icmp_err_convert / icmpv6_err_convert). */
static int icmp_errno(int family, int type, int code) {
  if (family == 4) {
    static const int unreach[16] = {ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE, EOPNOTSUPP,
                                    ENETUNREACH, EHOSTDOWN,    ENONET,      ENETUNREACH,  EHOSTUNREACH, ENETUNREACH,
                                    EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH};
    if (type == 3) return code < 16 ? unreach[code] : EHOSTUNREACH;
    if (type == 12) return EPROTO;
    return EHOSTUNREACH; /* time exceeded, source quench */
  }
  if (type == ICMP6_DST_UNREACH) {
    static const int unreach[7] = {ENETUNREACH, EACCES, EHOSTUNREACH, EHOSTUNREACH, ECONNREFUSED, EACCES, EACCES};
    return code < 7 ? unreach[code] : EHOSTUNREACH;
  }
  if (type == ICMP6_PACKET_TOO_BIG) return EMSGSIZE;
  if (type == ICMP6_PARAM_PROB) return EPROTO;
  return EHOSTUNREACH;
}

static void put_addr(uint8_t *dst, const struct sockaddr *sa) {
  if (!sa) return;
  if (sa->sa_family == AF_INET) memcpy(dst, &((const struct sockaddr_in *)sa)->sin_addr, 4);
  if (sa->sa_family == AF_INET6) memcpy(dst, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

static void put_u16(uint8_t *r, uint16_t v) { memcpy(r, &v, 2); }

/* Parses one raw-socket ICMP message into rec; returns 1 when it concerns one of our echoes. */
static int parse_raw(isock *s, uint8_t *d, size_t n, const struct sockaddr *from, uint8_t *rec) {
  size_t off = 0;
  if (s->family == 4) {
    if (n < 20) return 0;
    off = (size_t)(d[0] & 15) * 4;
  }
  if (n < off + 8) return 0;
  uint8_t type = d[off], code = d[off + 1];
  const uint8_t *echo;
  if (type == (s->family == 6 ? ICMP6_ECHO_REPLY : 0)) {
    echo = d + off;
    rec[0] = REC_REPLY;
    put_addr(rec + 24, from);
  } else {
    const uint8_t *in = d + off + 8; /* the quoted IP header of our request */
    size_t left = n - off - 8;
    size_t ihl;
    if (s->family == 4) {
      if (left < 20 || in[9] != IPPROTO_ICMP) return 0;
      ihl = (size_t)(in[0] & 15) * 4;
      memcpy(rec + 24, in + 16, 4);
    } else {
      if (left < 40 || in[6] != IPPROTO_ICMPV6) return 0;
      ihl = 40;
      memcpy(rec + 24, in + 24, 16);
    }
    if (left < ihl + 8) return 0;
    echo = in + ihl;
    if (echo[0] != (s->family == 6 ? ICMP6_ECHO_REQUEST : 8)) return 0;
    rec[0] = REC_ERROR;
    int32_t e = icmp_errno(s->family, type, code);
    memcpy(rec + 8, &e, 4);
    put_addr(rec + 40, from);
  }
  uint16_t id = (uint16_t)(echo[4] << 8 | echo[5]);
  if (id != s->ident) return 0; /* another process's echo: raw sockets see them all */
  put_u16(rec + 4, id);
  put_u16(rec + 6, (uint16_t)(echo[6] << 8 | echo[7]));
  rec[2] = type;
  rec[3] = code;
  return 1;
}

/* Reads one message (from the error queue when errq) into rec. Returns 1 record, 0 skipped,
 * -EAGAIN when the queue is empty, other -errno on failure. */
static int read_one(isock *s, int errq, uint8_t *rec) {
  uint8_t data[MAX_PAYLOAD + 128];
  union {
    char buf[512];
    struct cmsghdr align;
  } ctl;
  struct sockaddr_storage from;
  struct iovec iov = {data, sizeof data};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_name = &from;
  m.msg_namelen = sizeof from;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl.buf;
  m.msg_controllen = sizeof ctl.buf;
  ssize_t n = recvmsg(s->fd, &m, MSG_DONTWAIT | (errq ? MSG_ERRQUEUE : 0));
  if (n < 0) return -errno;
  if (m.msg_namelen == 0) from.ss_family = AF_UNSPEC;
  memset(rec, 0, REC_BYTES);
  struct timespec *ts = NULL;
  struct sock_extended_err *ee = NULL;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) ts = (struct timespec *)CMSG_DATA(c);
    if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
        (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
      ee = (struct sock_extended_err *)CMSG_DATA(c);
  }
  rec[1] = (uint8_t)s->family;
  memcpy(rec + 12, &(uint32_t){(uint32_t)n}, 4);
  double t = mono_ms(ts);
  memcpy(rec + 16, &t, 8);
  if (s->kind == KIND_RAW) return parse_raw(s, data, (size_t)n, (struct sockaddr *)&from, rec);
  if (n < 8) return 0;
  put_u16(rec + 4, (uint16_t)(data[4] << 8 | data[5]));
  put_u16(rec + 6, (uint16_t)(data[6] << 8 | data[7]));
  put_addr(rec + 24, (struct sockaddr *)&from);
  if (!errq) {
    if (data[0] != (s->family == 6 ? ICMP6_ECHO_REPLY : 0)) return 0;
    rec[0] = REC_REPLY;
    rec[2] = data[0];
    rec[3] = data[1];
    return 1;
  }
  /* Error queue: the data is our own request, the name is where it was going. */
  if (!ee) return 0;
  rec[0] = REC_ERROR;
  rec[2] = ee->ee_type;
  rec[3] = ee->ee_code;
  int32_t e = (int32_t)ee->ee_errno;
  memcpy(rec + 8, &e, 4);
  put_addr(rec + 40, SO_EE_OFFENDER(ee));
  return 1;
}

/* The drain loop's one round (poll_reader.h): every queued message, error queue first (POLLERR
 * from a queued ICMP error is what woke us in that case), one record each. */
static int reader_collect(void *sock, uint32_t *frames) {
  isock *s = sock;
  uint32_t n = 0;
  for (int errq = s->kind == KIND_DGRAM; errq >= 0; errq--) {
    while (n < s->out_cap && s->fd >= 0) {
      int r = read_one(s, errq, s->out + (size_t)n * REC_BYTES);
      if (r == -EAGAIN || r == -EWOULDBLOCK) break;
      /* Any other failure is a mirrored sk_err of a queued ICMP error (delivered from the error
       * queue next round) or transient; nothing JS could act on. */
      if (r < 0) break;
      n += (uint32_t)r;
    }
  }
  *frames = n;
  return n != 0;
}

static void reader_teardown(void *sock) { teardown(sock); }

/* Records are copies: nothing to give back after the callback. */
static const lvs_reader_ops reader_ops = {reader_collect, NULL, reader_teardown};

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)events;
  lvs_reader *rd = p->data;
  isock *s = rd->sock;
  napi_handle_scope scope;
  napi_open_handle_scope(rd->env, &scope);
  lvs_reader_drain(rd, 1);
  /* libuv stops a uv_poll_t on POLLERR (and reports UV_EBADF); our POLLERR is an ICMP error that
   * has just been read, so polling resumes (unless the callback closed the socket). */
  if (status < 0 && rd->poll == p && s->fd >= 0) {
    int soerr = 0;
    socklen_t l = sizeof soerr;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
    uv_poll_start(p, UV_READABLE, on_readable);
  }
  napi_close_handle_scope(rd->env, scope);
}

/* icmpReadStart(h, out: Uint8Array (records × 56, 8-byte aligned), cb(count, err)) -> 0 | -errno */
static napi_value js_read_start(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  isock *s = args(env, info, 3, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  if (s->rd.poll) return lvs_num(env, -EALREADY);
  size_t len;
  void *data;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &data, &len) || len < REC_BYTES || ((uintptr_t)data & 7))
    return lvs_num(env, -EINVAL);
  uv_poll_t *p;
  /* Unref'd: pending checks keep the loop alive by their JS timers, an idle pinger does not. */
  int r = lvs_reader_watch(&s->rd, argv[1], argv[2], "LVS_ICMP_SOCKET", 1, &p);
  if (r == LVS_POLL_NAPI_FAILED) return NULL;
  if (r < 0) return lvs_num(env, r);
  s->out = data;
  s->out_cap = (uint32_t)(len / REC_BYTES);
  s->rd.max_rounds = 1;
  return lvs_reader_begin(&s->rd, p, on_readable);
}

/* icmpClose(h) -> 0. Inside the receive callback the teardown waits until it returns. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  isock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_reader_close_js(&s->rd);
}

/* Adds the icmp* functions to the addon's exports; called from packet_socket.c's init. */
napi_value lvs_icmp_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {
      {"icmpCreateHandle", js_create}, {"icmpOpen", js_open},           {"icmpIdent", js_ident},
      {"icmpSend", js_send},           {"icmpReadStart", js_read_start}, {"icmpClose", js_close},
  };
  if (!lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0])) return NULL;
  napi_set_named_property(env, exports, "icmpAbiVersion", lvs_num(env, LVS_ICMP_ABI));
  napi_set_named_property(env, exports, "icmpRecordBytes", lvs_num(env, REC_BYTES));
  return exports;
}
