/*
 * AF_XDP socket of the packet plane's fast path (see src/io/packet-socket/xdp-socket.ts); the
 * XDP filter that redirects frames to it is xdp_filter.c, loaded and attached through bpf_sys.c.
 * As dumb as packet_socket.c: every failure is a -errno int; state, validation and errno ->
 * coded error live in TypeScript.
 *
 * A UMEM of fixed chunks, fill/completion/RX/TX rings, XDP_COPY bind (veth has no zero-copy),
 * watched by a uv_poll on Node's loop (ring protocol: the kernel's
 * Documentation/networking/af_xdp.rst). Received descriptors become records in the same 6-word
 * layout as the AF_PACKET ring (offset = UMEM address), one JS call per batch over the UMEM as an
 * external ArrayBuffer. JS rewrites frames in place and hands [offset, length] pairs back: a pair
 * inside a chunk this batch delivered goes to the TX ring as is (classic AF_XDP forwarding); any
 * other memory is copied into a free chunk first. Chunks come back through the completion ring;
 * those JS did not send go back after the callback. Every chunk is in exactly one place: free
 * list, kernel (fill/RX), held by JS, TX.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "poll_reader.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
/* setsockopt of 6.17+: frames one sendto() may push in copy mode (default 32). Optional. */
#define LVS_XDP_MAX_TX_SKB_BUDGET 9
/* Busy-poll socket options (asm-generic/socket.h); older libc headers lack the last two. */
#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif
/* xskBind flag bit 1: preferred busy polling (see busy_poll_setup). */
#define XSK_BIND_BUSY_POLL 2
/* Frames one busy poll may take off the device (a veth's whole 256-entry ring). */
#define BUSY_POLL_BUDGET 256
/* Busy polls per collect while each still brings frames. */
#define BUSY_POLL_ROUNDS 4

#define META_WORDS 6
#define TP_STATUS_CSUMNOTREADY (1 << 3)
/* Chunks kept off the fill ring so copies (cross-interface, engine-built frames) find room. */
#define TX_RESERVE 512

typedef struct {
  uint32_t *prod, *cons, *flags;
  void *ring;
  void *map;
  size_t map_len;
  uint32_t size, mask, cached_prod, cached_cons;
} xring;

enum { CH_FREE, CH_KERNEL, CH_HELD, CH_TX };
/* Our counters, after the 6 of XDP_STATISTICS in stats(). */
enum { C_TX_ZERO, C_TX_COPY, C_TX_DROP, C_CSUM_PARTIAL, C_KICKS, C_BUSY_POLLS, C_COUNT };

typedef struct {
  lvs_reader rd; /* the meta records are its buffer */
  int fd, ifindex, csum_check;
  int busy_poll; /* SO_PREFER_BUSY_POLL took: collect() drives the device's NAPI itself */
  uint32_t mtu;
  uint8_t *umem;
  size_t umem_len;
  uint32_t chunk, nchunks;
  xring fill, comp, rx, tx;
  uint32_t *freel, nfree;
  uint8_t *state;
  uint32_t *held, nheld;
  uint32_t *meta, meta_cap;
  uint64_t cnt[C_COUNT];
  int tx_budget;
  napi_ref umem_ref;
} xsock;

static xsock *xargs(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  return lvs_handle_args(env, info, n, argv, "not an AF_XDP socket handle");
}

static void unmap_ring(xring *r) {
  if (r->map) munmap(r->map, r->map_len);
  memset(r, 0, sizeof *r);
}

static void xteardown(xsock *s) {
  napi_env env = s->rd.env;
  lvs_reader_release(&s->rd);
  if (s->umem_ref) {
    napi_value ab;
    if (napi_get_reference_value(env, s->umem_ref, &ab) == napi_ok && ab) napi_detach_arraybuffer(env, ab);
  }
  lvs_drop_ref(env, &s->umem_ref);
  unmap_ring(&s->fill);
  unmap_ring(&s->comp);
  unmap_ring(&s->rx);
  unmap_ring(&s->tx);
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  if (s->umem) munmap(s->umem, s->umem_len);
  s->umem = NULL;
  free(s->freel);
  free(s->state);
  free(s->held);
  s->freel = NULL;
  s->state = NULL;
  s->held = NULL;
  s->meta = NULL;
}

static void xfinalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  xteardown(data);
  free(data);
}

static const lvs_reader_ops reader_ops;

/* xskCreate() -> handle */
static napi_value js_xsk_create(napi_env env, napi_callback_info info) {
  (void)info;
  xsock *s = calloc(1, sizeof *s);
  if (!s) return lvs_num(env, -ENOMEM);
  lvs_reader_init(&s->rd, env, s, &reader_ops, &s->fd);
  s->fd = -1;
  return lvs_wrap_handle(env, s, xfinalize);
}

static int map_ring(xsock *s, xring *r, struct xdp_ring_offset *o, uint32_t size, size_t entry, off_t pgoff) {
  r->map_len = o->desc + (size_t)size * entry;
  void *m = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, s->fd, pgoff);
  if (m == MAP_FAILED) {
    r->map = NULL;
    return -errno;
  }
  r->map = m;
  r->prod = (uint32_t *)((uint8_t *)m + o->producer);
  r->cons = (uint32_t *)((uint8_t *)m + o->consumer);
  r->flags = (uint32_t *)((uint8_t *)m + o->flags);
  r->ring = (uint8_t *)m + o->desc;
  r->size = size;
  r->mask = size - 1;
  r->cached_prod = *r->prod;
  r->cached_cons = *r->cons;
  return 0;
}

static void free_chunk(xsock *s, uint32_t c) {
  s->state[c] = CH_FREE;
  s->freel[s->nfree++] = c;
}

/* Moves completed TX chunks back to the free list. */
static void reap(xsock *s) {
  xring *r = &s->comp;
  uint32_t prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
  uint32_t cons = r->cached_cons;
  if (prod == cons) return;
  const uint64_t *addrs = r->ring;
  for (; cons != prod; cons++) {
    uint64_t c = addrs[cons & r->mask] / s->chunk;
    if (c < s->nchunks && s->state[c] == CH_TX) free_chunk(s, (uint32_t)c);
  }
  r->cached_cons = cons;
  __atomic_store_n(r->cons, cons, __ATOMIC_RELEASE);
}

/*
 * Preferred busy polling (Documentation/networking/napi.rst, "Preferred busy polling"; net/core/
 * dev.c napi_busy_loop and busy_poll_stop): with SO_PREFER_BUSY_POLL the receive work of the
 * queue runs inside this process's own recvfrom()/sendto() (xsk_recvmsg and xsk_sendmsg call
 * sk_busy_loop), BUSY_POLL_BUDGET frames at a time, when the process asks for more, and the
 * device's softirq or NAPI thread only runs when the process has not polled for the interface's
 * gro_flush_timeout (with napi_defer_hard_irqs > 0, set by the TypeScript side). So receive work
 * can no longer run ahead of the process that drains the ring on a shared core (receive
 * livelock): when lvsd is behind, frames wait in (and overflow) the device's own ring, where a
 * drop costs the director nothing. SO_BUSY_POLL must be non-zero for sk_can_busy_loop; nonblocking
 * polls do one pass whatever its value. Returns 1 when all three options took.
 */
static int busy_poll_setup(int fd) {
  int one = 1, usec = 50, budget = BUSY_POLL_BUDGET;
  if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof one) < 0) return 0;
  if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usec, sizeof usec) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof budget) < 0) {
    one = 0;
    setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof one);
    usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usec, sizeof usec);
    return 0;
  }
  return 1;
}

/* Busy polls the queue's NAPI into the RX ring while each poll brings frames and the ring has
 * room for a batch (the socket's NAPI id is known once the first frame arrived). */
static void busy_poll(xsock *s) {
  xring *r = &s->rx;
  for (int i = 0; i < BUSY_POLL_ROUNDS; i++) {
    uint32_t before = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
    if (before - r->cached_cons >= s->meta_cap) break;
    recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
    s->cnt[C_BUSY_POLLS]++;
    if (__atomic_load_n(r->prod, __ATOMIC_ACQUIRE) == before) break;
  }
}

/* Tops the fill ring up from the free list, keeping TX_RESERVE chunks for copies. */
static void refill(xsock *s) {
  xring *r = &s->fill;
  uint32_t cons = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
  uint32_t room = r->size - (r->cached_prod - cons);
  uint32_t spare = s->nfree > TX_RESERVE ? s->nfree - TX_RESERVE : 0;
  uint32_t n = room < spare ? room : spare;
  if (n == 0) return;
  uint64_t *addrs = r->ring;
  uint32_t prod = r->cached_prod;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t c = s->freel[--s->nfree];
    s->state[c] = CH_KERNEL;
    addrs[prod++ & r->mask] = (uint64_t)c * s->chunk;
  }
  r->cached_prod = prod;
  __atomic_store_n(r->prod, prod, __ATOMIC_RELEASE);
}

static int xfail(xsock *s, int err) {
  xteardown(s);
  return -err;
}

static int xbind(xsock *s, const char *ifname, uint32_t queue, uint32_t nchunks, uint32_t chunk, uint32_t ring,
                 uint32_t flags) {
  if (s->fd >= 0) return -EISCONN;
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) return -ENODEV;
  s->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (s->fd < 0) return -errno;
  {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ifname, strnlen(ifname, IFNAMSIZ - 1)); /* zeroed above: NUL-terminated */
    s->mtu = ioctl(s->fd, SIOCGIFMTU, &ifr) == 0 ? (uint32_t)ifr.ifr_mtu : 1500;
  }
  s->chunk = chunk;
  s->nchunks = nchunks;
  s->umem_len = (size_t)chunk * nchunks;
  void *m = mmap(NULL, s->umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (m == MAP_FAILED) {
    s->umem = NULL;
    return xfail(s, errno);
  }
  s->umem = m;
  s->freel = malloc(sizeof(uint32_t) * nchunks);
  s->state = calloc(nchunks, 1);
  /* Up to one RX ring of descriptors per round (the RX ring may be 2 x ring). */
  s->held = malloc(sizeof(uint32_t) * ring * 2);
  if (!s->freel || !s->state || !s->held) return xfail(s, ENOMEM);
  for (uint32_t c = nchunks; c > 0; c--) s->freel[s->nfree++] = c - 1;
  struct xdp_umem_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.addr = (uint64_t)(uintptr_t)s->umem;
  reg.len = s->umem_len;
  reg.chunk_size = chunk;
  if (setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof reg) < 0) return xfail(s, errno);
  /*
   * The receive side (fill and RX rings) is twice `ring` when the UMEM has room: on one shared
   * core the NAPI thread keeps receiving while lvsd runs a batch or is not scheduled, and each
   * frame then needs a chunk on the fill ring and a slot on the RX ring (rx_fill_ring_empty_descs,
   * then rx_ring_full, were the losses under load with equal sizes). The transmit side stays at
   * `ring`: one sendto pushes up to that many frames into the peer at once.
   */
  uint32_t fill = nchunks >= ring * 8 ? ring * 2 : ring;
  if (setsockopt(s->fd, SOL_XDP, XDP_UMEM_FILL_RING, &fill, sizeof fill) < 0 ||
      setsockopt(s->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof ring) < 0 ||
      setsockopt(s->fd, SOL_XDP, XDP_RX_RING, &fill, sizeof fill) < 0 ||
      setsockopt(s->fd, SOL_XDP, XDP_TX_RING, &ring, sizeof ring) < 0)
    return xfail(s, errno);
  /*
   * Copy mode builds one skb per frame, charged to this socket until the receiving side frees
   * it (a veth peer's backlog on another CPU, the switch, ...). The default send buffer (~210 KB)
   * holds only ~270 such skbs, so a short stall downstream made sendto() stop progressing and
   * the TX ring overflow; a few MB ride it out. SO_SNDBUFFORCE needs CAP_NET_ADMIN, which an
   * AF_XDP socket already does; SO_SNDBUF (capped by wmem_max) is the fallback.
   */
  int sndbuf = 8 << 20;
  if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  int budget = (int)ring;
  s->tx_budget = setsockopt(s->fd, SOL_XDP, LVS_XDP_MAX_TX_SKB_BUDGET, &budget, sizeof budget) == 0 ? budget : 32;
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  if (getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) return xfail(s, errno);
  int r;
  if ((r = map_ring(s, &s->fill, &off.fr, fill, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING)) < 0 ||
      (r = map_ring(s, &s->comp, &off.cr, ring, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING)) < 0 ||
      (r = map_ring(s, &s->rx, &off.rx, fill, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING)) < 0 ||
      (r = map_ring(s, &s->tx, &off.tx, ring, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING)) < 0)
    return xfail(s, -r);
  /* The fill ring must hold chunks before bind, or the first frames find nowhere to go. */
  refill(s);
  struct sockaddr_xdp sa;
  memset(&sa, 0, sizeof sa);
  sa.sxdp_family = AF_XDP;
  sa.sxdp_ifindex = idx;
  sa.sxdp_queue_id = queue;
  sa.sxdp_flags = XDP_COPY;
  if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa) < 0) return xfail(s, errno);
  s->ifindex = (int)idx;
  s->csum_check = (flags & 1) != 0;
  s->busy_poll = (flags & XSK_BIND_BUSY_POLL) ? busy_poll_setup(s->fd) : 0;
  return 0;
}

/* xskBind(h, ifname, queue, chunks, chunkSize, ringSize, flags) -> 0 | -errno. flags bit 0:
 * classify L4 checksums (see csum_state); bit 1: preferred busy polling (busy_poll_setup).
 * Sizes must be powers of two (checked in TS). */
static napi_value js_xsk_bind(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  xsock *s = xargs(env, info, 7, argv);
  if (!s) return NULL;
  char name[IF_NAMESIZE + 1];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok) return lvs_num(env, -EINVAL);
  if (len >= IF_NAMESIZE) return lvs_num(env, -ENODEV);
  int r = xbind(s, name, (uint32_t)lvs_int(env, argv[2]), (uint32_t)lvs_int(env, argv[3]),
                (uint32_t)lvs_int(env, argv[4]), (uint32_t)lvs_int(env, argv[5]), (uint32_t)lvs_int(env, argv[6]));
  if (r < 0) return lvs_num(env, r);
  napi_value ab;
  CHECK(napi_create_external_arraybuffer(env, s->umem, s->umem_len, NULL, NULL, &ab));
  CHECK(napi_create_reference(env, ab, 1, &s->umem_ref));
  return lvs_num(env, 0);
}

/* xskUmem(h) -> ArrayBuffer over the UMEM (undefined when unbound). */
static napi_value js_xsk_umem(napi_env env, napi_callback_info info) {
  napi_value argv[1], out = NULL;
  xsock *s = xargs(env, info, 1, argv);
  if (!s) return NULL;
  if (s->umem_ref) napi_get_reference_value(env, s->umem_ref, &out);
  if (!out) napi_get_undefined(env, &out);
  return out;
}

/* xskFd(h) -> the socket's fd (for the XSKMAP), -EBADF when unbound. */
static napi_value js_xsk_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  xsock *s = xargs(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_num(env, s->fd >= 0 ? s->fd : -EBADF);
}

static uint32_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint32_t)sum;
}

static uint64_t sum16(const uint8_t *p, size_t n, uint64_t sum) {
  for (; n > 1; n -= 2, p += 2) sum += (uint32_t)(p[0] << 8 | p[1]);
  if (n) sum += (uint32_t)p[0] << 8;
  return sum;
}

/*
 * Veth hands XDP a locally sent segment as it was queued: CHECKSUM_PARTIAL, the L4 field holding
 * only the pseudo-header sum, and XDP carries no checksum metadata. So an IPv4 TCP/UDP frame
 * whose checksum does not verify but whose field equals that partial seed is marked
 * TP_STATUS_CSUMNOTREADY, as AF_PACKET would, and the engine completes it. A verifying checksum
 * is never touched. Returns the status word.
 */
static uint32_t csum_state(const uint8_t *f, uint32_t len) {
  if (len < 34 || f[12] != 0x08 || f[13] != 0 || (f[14] >> 4) != 4) return 0;
  uint32_t ihl = (uint32_t)(f[14] & 15) * 4;
  uint32_t tot = (uint32_t)(f[16] << 8 | f[17]);
  uint8_t proto = f[23];
  if (ihl < 20 || (f[20] & 0x3f) || f[21] || tot < ihl || 14 + tot > len) return 0;
  uint32_t l4len = tot - ihl, co = proto == 6 ? 16 : proto == 17 ? 6 : 0;
  if (!co || l4len < co + 2) return 0;
  const uint8_t *l4 = f + 14 + ihl;
  uint32_t field = (uint32_t)(l4[co] << 8 | l4[co + 1]);
  if (proto == 17 && field == 0) return 0;
  uint64_t pseudo = sum16(f + 26, 8, 0) + proto + l4len;
  /* Cheap test first (12 bytes): a field that is not the seed is never marked, whatever it sums
   * to; only a frame carrying the seed pays the full sum over its L4 bytes. */
  if (fold(pseudo) != field) return 0;
  return fold(sum16(l4, l4len, pseudo)) == 0xffff ? 0 : TP_STATUS_CSUMNOTREADY;
}

/* Takes up to meta_cap descriptors off the RX ring into meta records; returns the count. */
static uint32_t xcollect(xsock *s) {
  xring *r = &s->rx;
  uint32_t prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
  uint32_t cons = r->cached_cons, n = 0;
  const struct xdp_desc *d = r->ring;
  while (cons != prod && n < s->meta_cap) {
    const struct xdp_desc *x = &d[cons++ & r->mask];
    uint64_t c = x->addr / s->chunk;
    uint32_t *m = s->meta + (size_t)n * META_WORDS;
    m[0] = (uint32_t)x->addr;
    m[1] = x->len;
    m[2] = x->len;
    m[3] = s->csum_check ? csum_state(s->umem + x->addr, x->len) : 0;
    if (m[3]) s->cnt[C_CSUM_PARTIAL]++;
    m[4] = 0;
    m[5] = 0;
    if (c < s->nchunks) {
      s->state[c] = CH_HELD;
      s->held[s->nheld++] = (uint32_t)c;
    }
    n++;
  }
  r->cached_cons = cons;
  __atomic_store_n(r->cons, cons, __ATOMIC_RELEASE);
  return n;
}

/* After a batch: chunks JS did not send are free again, and the fill ring is topped up. */
static void xrelease(xsock *s) {
  for (uint32_t i = 0; i < s->nheld; i++)
    if (s->state[s->held[i]] == CH_HELD) free_chunk(s, s->held[i]);
  s->nheld = 0;
  reap(s);
  refill(s);
}

/* The drain loop's steps (poll_reader.h). */
static int reader_collect(void *sock, uint32_t *frames) {
  xsock *s = sock;
  if (!s->umem) return 0;
  reap(s);
  if (s->busy_poll) busy_poll(s);
  uint32_t n = xcollect(s);
  if (n == 0) return 0;
  /* Give the kernel chunks for what arrives while JS runs this batch (the held ones come back
   * after it). */
  refill(s);
  *frames = n;
  return 1;
}

static void reader_release(void *sock) {
  xsock *s = sock;
  if (s->umem) xrelease(s);
}

static void reader_teardown(void *sock) { xteardown(sock); }

static const lvs_reader_ops reader_ops = {reader_collect, reader_release, reader_teardown};

/* xskReadStart(h, meta: Uint32Array, cb(count, err)) -> 0 | -errno */
static napi_value js_xsk_read_start(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  xsock *s = xargs(env, info, 3, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  if (s->rd.poll) return lvs_num(env, -EALREADY);
  size_t len;
  void *data;
  if (!lvs_typed(env, argv[1], napi_uint32_array, &data, &len)) return lvs_num(env, -EINVAL);
  if (len / META_WORDS < 1 || len / META_WORDS > s->rx.size) return lvs_num(env, -ENOBUFS);
  uv_poll_t *p;
  int r = lvs_reader_watch(&s->rd, argv[1], argv[2], "LVS_XDP_SOCKET", 0, &p);
  if (r == LVS_POLL_NAPI_FAILED) return NULL;
  if (r < 0) return lvs_num(env, r);
  s->meta = data;
  s->meta_cap = (uint32_t)(len / META_WORDS);
  s->rd.max_rounds = 4;
  return lvs_reader_begin(&s->rd, p, lvs_reader_on_readable);
}

/* xskReadStop(h) -> 0 */
static napi_value js_xsk_read_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  xsock *s = xargs(env, info, 1, argv);
  if (!s) return NULL;
  lvs_poll_stop(&s->rd.poll);
  return lvs_num(env, 0);
}

/* xskDrain(h) -> frames delivered synchronously through the readStart callback | -errno */
static napi_value js_xsk_drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  xsock *s = xargs(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_reader_drain_js(&s->rd);
}

/* Copy mode transmits inside sendto(), tx_budget frames per call; kick until the ring is empty
 * or the kernel stops making progress. */
static void kick(xsock *s) {
  xring *r = &s->tx;
  for (int i = 0; i < 1024; i++) {
    uint32_t before = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
    if (before == r->cached_prod) break;
    int rc = (int)sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
    int e = errno;
    s->cnt[C_KICKS]++;
    reap(s);
    if (rc < 0 && e != EAGAIN && e != EBUSY && e != ENOBUFS && e != EINTR) break;
    if (__atomic_load_n(r->cons, __ATOMIC_ACQUIRE) == before) break;
  }
}

/* xskSend(h, buf, pairs: Uint32Array [off, len]*, count) -> frames queued | -errno.
 * Frames inside a chunk JS holds from this batch go out of it; the rest are copied. */
static napi_value js_xsk_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  xsock *s = xargs(env, info, 4, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  size_t blen, plen;
  void *bdata, *pdata;
  uint32_t count;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &bdata, &blen)) return lvs_num(env, -EINVAL);
  if (!lvs_typed(env, argv[2], napi_uint32_array, &pdata, &plen)) return lvs_num(env, -EINVAL);
  CHECK(napi_get_value_uint32(env, argv[3], &count));
  if ((size_t)count * 2 > plen) return lvs_num(env, -EINVAL);
  const uint32_t *pairs = pdata;
  const uint8_t *b = bdata;
  int in_umem = b >= s->umem && b < s->umem + s->umem_len;
  size_t base = in_umem ? (size_t)(b - s->umem) : 0;
  xring *r = &s->tx;
  struct xdp_desc *d = r->ring;
  uint32_t queued = 0, maxlen = s->mtu + 14;
  reap(s);
  uint32_t room = r->size - (r->cached_prod - __atomic_load_n(r->cons, __ATOMIC_ACQUIRE));
  uint32_t prod = r->cached_prod;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t off = pairs[i * 2], len = pairs[i * 2 + 1];
    if (off + len > blen || len > maxlen || len > s->chunk || len < 14) {
      s->cnt[C_TX_DROP]++;
      continue;
    }
    if (room == 0) {
      /* Ring full: publish, push what is queued, and look again. */
      r->cached_prod = prod;
      __atomic_store_n(r->prod, prod, __ATOMIC_RELEASE);
      kick(s);
      room = r->size - (r->cached_prod - __atomic_load_n(r->cons, __ATOMIC_ACQUIRE));
      if (room == 0) {
        s->cnt[C_TX_DROP] += count - i;
        break;
      }
    }
    uint64_t addr = base + off, c = addr / s->chunk;
    if (in_umem && c < s->nchunks && s->state[c] == CH_HELD && (addr + len - 1) / s->chunk == c) {
      s->state[c] = CH_TX;
      s->cnt[C_TX_ZERO]++;
    } else {
      if (s->nfree == 0) reap(s);
      if (s->nfree == 0) {
        s->cnt[C_TX_DROP]++;
        continue;
      }
      c = s->freel[--s->nfree];
      s->state[c] = CH_TX;
      addr = c * s->chunk;
      memcpy(s->umem + addr, b + off, len);
      s->cnt[C_TX_COPY]++;
    }
    struct xdp_desc *x = &d[prod++ & r->mask];
    x->addr = addr;
    x->len = (uint32_t)len;
    x->options = 0;
    room--;
    queued++;
  }
  r->cached_prod = prod;
  __atomic_store_n(r->prod, prod, __ATOMIC_RELEASE);
  kick(s);
  return lvs_num(env, queued);
}

/* xskStats(h, out: Float64Array[15]) -> 0 | -errno: XDP_STATISTICS (rx_dropped,
 * rx_invalid_descs, tx_invalid_descs, rx_ring_full, rx_fill_ring_empty_descs,
 * tx_ring_empty_descs), then tx zero-copy, tx copied, tx dropped, partial checksums, kicks,
 * busy polls; then free chunks, the per-sendto TX budget and 1 when busy polling. Cumulative. */
static napi_value js_xsk_stats(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  xsock *s = xargs(env, info, 2, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  size_t len;
  void *data;
  if (!lvs_typed(env, argv[1], napi_float64_array, &data, &len) || len < 6 + C_COUNT + 3)
    return lvs_num(env, -EINVAL);
  struct xdp_statistics st;
  memset(&st, 0, sizeof st);
  socklen_t l = sizeof st;
  if (getsockopt(s->fd, SOL_XDP, XDP_STATISTICS, &st, &l) < 0) return lvs_num(env, -errno);
  double *o = data;
  o[0] = (double)st.rx_dropped;
  o[1] = (double)st.rx_invalid_descs;
  o[2] = (double)st.tx_invalid_descs;
  o[3] = (double)st.rx_ring_full;
  o[4] = (double)st.rx_fill_ring_empty_descs;
  o[5] = (double)st.tx_ring_empty_descs;
  for (int i = 0; i < C_COUNT; i++) o[6 + i] = (double)s->cnt[i];
  o[6 + C_COUNT] = s->nfree;
  o[7 + C_COUNT] = s->tx_budget;
  o[8 + C_COUNT] = s->busy_poll;
  return lvs_num(env, 0);
}

/* xskClose(h) -> 0. Inside the batch callback the teardown waits until the callback returns. */
static napi_value js_xsk_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  xsock *s = xargs(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_reader_close_js(&s->rd);
}

napi_value lvs_xdp_register(napi_env env, napi_value exports);

napi_value lvs_xdp_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {
      {"xskCreate", js_xsk_create},
      {"xskBind", js_xsk_bind},
      {"xskUmem", js_xsk_umem},
      {"xskFd", js_xsk_fd},
      {"xskReadStart", js_xsk_read_start},
      {"xskReadStop", js_xsk_read_stop},
      {"xskDrain", js_xsk_drain},
      {"xskSend", js_xsk_send},
      {"xskStats", js_xsk_stats},
      {"xskClose", js_xsk_close},
  };
  if (!lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0])) return NULL;
  napi_set_named_property(env, exports, "xdpAbiVersion", lvs_num(env, 2));
  return exports;
}
