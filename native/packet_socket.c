/*
 * Thin AF_PACKET binding for LVS.ts (see src/io/packet-socket/packet-socket.ts).
 *
 * Deliberately dumb, like Node's udp_wrap: every syscall failure comes back as a -errno int and
 * nothing here throws for one. Validation, state and errno -> coded error live in TypeScript.
 *
 * Receive: a TPACKET_V3 ring is mmap'd and exposed to JS once as an external ArrayBuffer. When the
 * fd is readable (uv_poll_t, no busy polling) the ready blocks are walked here and one metadata
 * record per frame is written into a caller-provided Uint32Array; then ONE JS callback runs with
 * the frame count, JS reads the frames straight out of the ring, and the blocks go back to the
 * kernel when the callback returns. Transmit is batched with sendmmsg(2).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "poll_reader.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bumped when the JS-visible contract changes, so a stale build is refused by the wrapper. */
#define LVS_PACKET_ABI 1
/*
 * Bytes kept free in front of every received frame (PACKET_RESERVE): the engine writes tunnel
 * headers there and sends the frame in place instead of copying it (EngineOptions.headroom).
 * tpacket_rcv puts the MAC header at TPACKET_ALIGN(hdrlen + 16) + reserve - maclen, so at least
 * this many bytes after the tpacket3_hdr and sockaddr_ll are ours to write.
 */
#define LVS_RX_HEADROOM 32
/* u32 words per frame record: ring offset, captured len, wire len, tp_status, vlan, pkttype. */
#define META_WORDS 6
/* Each ring frame holds at least a tpacket3_hdr + sockaddr_ll, so a block never holds more. */
#define MIN_FRAME_BYTES 64
#define TX_CHUNK 256

#define BIND_PROMISC 1
#define BIND_IGNORE_OUTGOING 2
#define BIND_QDISC_BYPASS 4

typedef struct {
  lvs_reader rd; /* the meta records are its buffer */
  int fd;
  int ifindex;
  uint8_t *ring;
  size_t ring_len;
  uint32_t block_size, block_count, cur_block;
  uint32_t batch_blocks; /* blocks of the batch JS is reading */
  uint32_t *meta;
  uint32_t meta_cap; /* records */
  napi_ref ring_ref;
} psock;

/* Parses argv: the handle first, then up to n-1 further values. */
static psock *args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  return lvs_handle_args(env, info, n, argv, "not a packet socket handle");
}

/* Releases everything. The ring ArrayBuffer is detached first so a view kept by JS reads as
 * empty instead of touching unmapped memory. */
static void teardown(psock *s) {
  napi_env env = s->rd.env;
  lvs_reader_release(&s->rd);
  if (s->ring_ref) {
    napi_value ab;
    if (napi_get_reference_value(env, s->ring_ref, &ab) == napi_ok && ab) napi_detach_arraybuffer(env, ab);
  }
  lvs_drop_ref(env, &s->ring_ref);
  if (s->ring) munmap(s->ring, s->ring_len);
  s->ring = NULL;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  s->meta = NULL;
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  psock *s = data;
  teardown(s);
  free(s);
}

static const lvs_reader_ops reader_ops;

/* createHandle(): an unbound handle, freed (and closed) by GC if JS forgets close(). */
static napi_value create_handle(napi_env env, napi_callback_info info) {
  (void)info;
  psock *s = calloc(1, sizeof(*s));
  if (!s) return lvs_num(env, -ENOMEM);
  lvs_reader_init(&s->rd, env, s, &reader_ops, &s->fd);
  s->fd = -1;
  return lvs_wrap_handle(env, s, finalize_sock);
}

static int fail(psock *s, int err) {
  teardown(s);
  return -err;
}

static int do_bind(psock *s, const char *ifname, uint32_t bsize, uint32_t bcount, uint32_t tov,
                   uint32_t flags, int64_t fanout) {
  if (s->fd >= 0) return -EISCONN;
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) return -ENODEV;
  /* Protocol 0 until bind(): no frames queue up before the ring and filters are in place. */
  s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) return -errno;
  int v = TPACKET_V3;
  if (setsockopt(s->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return fail(s, errno);
  unsigned int reserve = LVS_RX_HEADROOM;
  if (setsockopt(s->fd, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof reserve) < 0) return fail(s, errno);
  struct tpacket_req3 req;
  memset(&req, 0, sizeof req);
  req.tp_block_size = bsize;
  req.tp_block_nr = bcount;
  req.tp_frame_size = 2048; /* V3 packs frames freely; the kernel only checks the arithmetic */
  req.tp_frame_nr = (bsize / req.tp_frame_size) * bcount;
  req.tp_retire_blk_tov = tov;
  if (setsockopt(s->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) return fail(s, errno);
  s->ring_len = (size_t)bsize * bcount;
  void *m = mmap(NULL, s->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
  if (m == MAP_FAILED) return fail(s, errno);
  s->ring = m;
  s->block_size = bsize;
  s->block_count = bcount;
  s->cur_block = 0;
  v = 1;
  /* Our own transmits would otherwise loop back into the ring (dev_queue_xmit_nit). */
  if ((flags & BIND_IGNORE_OUTGOING) &&
      setsockopt(s->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &v, sizeof v) < 0 && errno != ENOPROTOOPT)
    return fail(s, errno);
  if ((flags & BIND_QDISC_BYPASS) && setsockopt(s->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof v) < 0)
    return fail(s, errno);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(s->fd, (struct sockaddr *)&sll, sizeof sll) < 0) return fail(s, errno);
  s->ifindex = (int)idx;
  if (flags & BIND_PROMISC) {
    /* A membership, not IFF_PROMISC: the kernel drops it when the socket closes. */
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = (int)idx;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(s->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) return fail(s, errno);
  }
  if (fanout >= 0) {
    int arg = (int)(uint32_t)fanout; /* group | type << 16, flag bits may set bit 31 */
    if (setsockopt(s->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) return fail(s, errno);
  }
  return 0;
}

/* bind(h, ifname, blockSize, blockCount, retireMs, flags, fanoutArg) -> 0 | -errno */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  psock *s = args(env, info, 7, argv);
  if (!s) return NULL;
  char name[IF_NAMESIZE + 1];
  size_t len = 0;
  uint32_t bsize, bcount, tov, flags;
  int64_t fanout;
  if (napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok) return lvs_num(env, -EINVAL);
  if (len >= IF_NAMESIZE) return lvs_num(env, -ENODEV);
  CHECK(napi_get_value_uint32(env, argv[2], &bsize));
  CHECK(napi_get_value_uint32(env, argv[3], &bcount));
  CHECK(napi_get_value_uint32(env, argv[4], &tov));
  CHECK(napi_get_value_uint32(env, argv[5], &flags));
  CHECK(napi_get_value_int64(env, argv[6], &fanout));
  int r = do_bind(s, name, bsize, bcount, tov, flags, fanout);
  if (r < 0) return lvs_num(env, r);
  napi_value ab;
  CHECK(napi_create_external_arraybuffer(env, s->ring, s->ring_len, NULL, NULL, &ab));
  CHECK(napi_create_reference(env, ab, 1, &s->ring_ref));
  return lvs_num(env, 0);
}

/* ring(h) -> ArrayBuffer over the mmap'd receive ring (or undefined when unbound). */
static napi_value js_ring(napi_env env, napi_callback_info info) {
  napi_value argv[1], out = NULL;
  psock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  if (s->ring_ref) napi_get_reference_value(env, s->ring_ref, &out);
  if (!out) napi_get_undefined(env, &out);
  return out;
}

/* Walks ready blocks in ring order and fills meta records, stopping before the record array
 * would overflow. Returns the number of frames; *nblocks gets the blocks consumed. */
static uint32_t collect(psock *s, uint32_t *nblocks) {
  uint32_t n = 0, blocks = 0, b = s->cur_block;
  while (blocks < s->block_count) {
    struct tpacket_block_desc *bd = (void *)(s->ring + (size_t)b * s->block_size);
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    uint32_t np = bd->hdr.bh1.num_pkts;
    if (n + np > s->meta_cap) break;
    uint8_t *p = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
    for (uint32_t i = 0; i < np; i++) {
      struct tpacket3_hdr *h = (void *)p;
      struct sockaddr_ll *ll = (void *)(p + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
      uint32_t *m = s->meta + (size_t)(n + i) * META_WORDS;
      m[0] = (uint32_t)(p - s->ring) + h->tp_mac;
      m[1] = h->tp_snaplen;
      m[2] = h->tp_len;
      m[3] = h->tp_status;
      m[4] = (uint32_t)h->hv1.tp_vlan_tci | ((uint32_t)h->hv1.tp_vlan_tpid << 16);
      m[5] = ll->sll_pkttype;
      p += h->tp_next_offset;
    }
    n += np;
    blocks++;
    b = (b + 1) % s->block_count;
  }
  *nblocks = blocks;
  return n;
}

static void release(psock *s, uint32_t blocks) {
  for (uint32_t i = 0; i < blocks; i++) {
    struct tpacket_block_desc *bd = (void *)(s->ring + (size_t)s->cur_block * s->block_size);
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    s->cur_block = (s->cur_block + 1) % s->block_count;
  }
}

/* The drain loop's steps (poll_reader.h): a batch is every ready block, given back after it. */
static int reader_collect(void *sock, uint32_t *frames) {
  psock *s = sock;
  if (!s->ring) return 0;
  *frames = collect(s, &s->batch_blocks);
  return s->batch_blocks != 0;
}

static void reader_release(void *sock) {
  psock *s = sock;
  release(s, s->batch_blocks);
}

static void reader_teardown(void *sock) { teardown(sock); }

static const lvs_reader_ops reader_ops = {reader_collect, reader_release, reader_teardown};

/* readStart(h, meta: Uint32Array, cb(count, err)) -> 0 | -errno */
static napi_value js_read_start(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  psock *s = args(env, info, 3, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  if (s->rd.poll) return lvs_num(env, -EALREADY);
  size_t len;
  void *data;
  if (!lvs_typed(env, argv[1], napi_uint32_array, &data, &len)) return lvs_num(env, -EINVAL);
  if (len / META_WORDS < s->block_size / MIN_FRAME_BYTES) return lvs_num(env, -ENOBUFS);
  uv_poll_t *p;
  int r = lvs_reader_watch(&s->rd, argv[1], argv[2], "LVS_PACKET_SOCKET", 0, &p);
  if (r == LVS_POLL_NAPI_FAILED) return NULL;
  if (r < 0) return lvs_num(env, r);
  s->meta = data;
  s->meta_cap = (uint32_t)(len / META_WORDS);
  /* One wakeup may deliver the whole ring, a block at a time at worst. */
  s->rd.max_rounds = s->block_count;
  return lvs_reader_begin(&s->rd, p, lvs_reader_on_readable);
}

/* readStop(h) -> 0 */
static napi_value js_read_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  psock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  lvs_poll_stop(&s->rd.poll);
  return lvs_num(env, 0);
}

/* drain(h) -> frames delivered synchronously through the readStart callback | -errno */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  psock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_reader_drain_js(&s->rd);
}

/* One sendmmsg(2) for n frames, adding what went out to *sent. Returns 1 when the caller must stop
 * and return *out to JS (frames sent so far, or -errno when nothing went at all), 0 to go on. */
static int send_iov(psock *s, struct iovec *iov, uint32_t n, uint32_t *sent, int64_t *out) {
  struct mmsghdr msgs[TX_CHUNK];
  memset(msgs, 0, sizeof(struct mmsghdr) * n);
  for (uint32_t i = 0; i < n; i++) {
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  /* No address: a bound packet socket transmits on its interface. */
  int r = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT);
  if (r < 0) {
    *out = *sent ? (int64_t)*sent : -errno;
    return 1;
  }
  *sent += (uint32_t)r;
  *out = *sent;
  return (uint32_t)r < n;
}

/* send(h, buf, pairs: Uint32Array [off, len]*, count) -> frames sent | -errno */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  psock *s = args(env, info, 4, argv);
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
  struct iovec iov[TX_CHUNK];
  uint32_t sent = 0;
  for (uint32_t i = 0; i < count; i += TX_CHUNK) {
    uint32_t n = count - i < TX_CHUNK ? count - i : TX_CHUNK;
    for (uint32_t j = 0; j < n; j++) {
      uint64_t off = pairs[(i + j) * 2], len = pairs[(i + j) * 2 + 1];
      if (off + len > blen) return lvs_num(env, sent ? (int64_t)sent : -EINVAL);
      iov[j].iov_base = (uint8_t *)bdata + off;
      iov[j].iov_len = len;
    }
    int64_t out;
    if (send_iov(s, iov, n, &sent, &out)) return lvs_num(env, out);
  }
  return lvs_num(env, sent);
}

/* sendv(h, frames: Uint8Array[]) -> frames sent | -errno */
static napi_value js_sendv(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  psock *s = args(env, info, 2, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  uint32_t count;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) return lvs_num(env, -EINVAL);
  struct iovec iov[TX_CHUNK];
  uint32_t sent = 0;
  for (uint32_t i = 0; i < count; i += TX_CHUNK) {
    uint32_t n = count - i < TX_CHUNK ? count - i : TX_CHUNK;
    for (uint32_t j = 0; j < n; j++) {
      napi_value el;
      size_t len;
      void *data;
      if (napi_get_element(env, argv[1], i + j, &el) != napi_ok || !lvs_typed(env, el, napi_uint8_array, &data, &len))
        return lvs_num(env, sent ? (int64_t)sent : -EINVAL);
      iov[j].iov_base = data;
      iov[j].iov_len = len;
    }
    int64_t out;
    if (send_iov(s, iov, n, &sent, &out)) return lvs_num(env, out);
  }
  return lvs_num(env, sent);
}

/* stats(h, out: Uint32Array[3]) -> 0 | -errno. PACKET_STATISTICS resets the kernel counters
 * on read, so out gets {packets, drops, freezes} since the previous call. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  psock *s = args(env, info, 2, argv);
  if (!s) return NULL;
  if (s->fd < 0) return lvs_num(env, -EBADF);
  size_t len;
  void *data;
  if (!lvs_typed(env, argv[1], napi_uint32_array, &data, &len) || len < 3) return lvs_num(env, -EINVAL);
  struct tpacket_stats_v3 st;
  socklen_t l = sizeof st;
  if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) < 0) return lvs_num(env, -errno);
  uint32_t *o = data;
  o[0] = st.tp_packets;
  o[1] = st.tp_drops;
  o[2] = st.tp_freeze_q_cnt;
  return lvs_num(env, 0);
}

/* ifindex(h) -> the bound interface index, 0 when unbound. */
static napi_value js_ifindex(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  psock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_num(env, s->fd >= 0 ? s->ifindex : 0);
}

/* close(h) -> 0. Inside the batch callback the teardown waits until the ring blocks are back. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  psock *s = args(env, info, 1, argv);
  if (!s) return NULL;
  return lvs_reader_close_js(&s->rd);
}

napi_value lvs_icmp_register(napi_env env, napi_value exports);
napi_value lvs_relay_register(napi_env env, napi_value exports);
napi_value lvs_xdp_register(napi_env env, napi_value exports);
napi_value lvs_bpf_register(napi_env env, napi_value exports);
napi_value lvs_vrrp_register(napi_env env, napi_value exports);
napi_value lvs_freebind_register(napi_env env, napi_value exports);
napi_value lvs_netlink_addr_register(napi_env env, napi_value exports);
napi_value lvs_announce_register(napi_env env, napi_value exports);
napi_value lvs_sd_notify_register(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {
      {"createHandle", create_handle}, {"bind", js_bind},   {"ring", js_ring},       {"readStart", js_read_start},
      {"readStop", js_read_stop},      {"drain", js_drain}, {"send", js_send},       {"sendv", js_sendv},
      {"stats", js_stats},             {"ifindex", js_ifindex}, {"close", js_close},
  };
  if (!lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0])) return NULL;
  napi_set_named_property(env, exports, "abiVersion", lvs_num(env, LVS_PACKET_ABI));
  napi_set_named_property(env, exports, "metaWords", lvs_num(env, META_WORDS));
  napi_set_named_property(env, exports, "rxHeadroom", lvs_num(env, LVS_RX_HEADROOM));
  /* The ICMP echo sockets (icmp_socket.c) share this module so one build and loader serve both. */
  /* The proxy plane's native TCP relay (tcp_relay.c), the AF_XDP path's bpf(2) calls (bpf_sys.c)
   * and its socket (xdp_socket.c). */
  if (!lvs_relay_register(env, exports)) return NULL;
  if (!lvs_bpf_register(env, exports)) return NULL;
  if (!lvs_xdp_register(env, exports)) return NULL;
  /* The VRRP raw sockets (vrrp_socket.c). */
  if (!lvs_vrrp_register(env, exports)) return NULL;
  /* The proxy plane's listeners on VRRP VIPs (freebind_socket.c). */
  if (!lvs_freebind_register(env, exports)) return NULL;
  /* The proxy plane's VRRP addresses through rtnetlink (netlink_addr.c). */
  if (!lvs_netlink_addr_register(env, exports)) return NULL;
  /* Their announcements, through one kept send-only socket (announce_socket.c). */
  if (!lvs_announce_register(env, exports)) return NULL;
  /* lvsd's readiness notes to systemd (sd_notify.c). */
  if (!lvs_sd_notify_register(env, exports)) return NULL;
  return lvs_icmp_register(env, exports);
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
