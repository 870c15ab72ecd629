/*
 * Load generator for the packet benchmark (bench/lib/packet-gen.ts), in C because a generator
 * must be cheaper per packet than the director it measures. It is its own addon (lvs_bench.node,
 * built on demand by bench/lib/bench-addon.ts through `node scripts/build-native.mjs --bench`),
 * so the addon lvsd loads at run time carries no benchmark code.
 *
 * blast() opens its own AF_PACKET socket with a PACKET_TX_RING, copies the caller's prebuilt
 * frames into the ring ONCE, and then only flips slot states to TP_STATUS_SEND_REQUEST and calls
 * send() per batch: no per-packet copy from user memory, no msghdr/iovec parsing, no JS. The
 * frames never change after the fill, which is what makes the ring safe here: the kernel attaches
 * ring pages to the skb and marks a slot available again when the skb is orphaned (veth does so
 * on forward), possibly before the bytes were read; a slot rewritten at that point would race.
 * The director's transmit path therefore does not use a TX ring.
 *
 * Bounded by a frame count and a wall-clock budget; returns the frames handed to the kernel.
 *
 * Optional rate (frames/s, 0 = as fast as possible): the frames are then paced by the clock, in
 * small batches of about 200 µs each (absolute clock_nanosleep between them), so the benchmark
 * can offer a director a known load below saturation instead of only drowning it. A generator
 * that falls behind (its CPU taken) catches up by at most 2 ms worth of frames, never in one
 * burst of everything it missed, since a long burst would overflow a receive ring that the
 * steady rate does not.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_util.h" /* from native/, see binding.gyp's include_dirs */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define BLAST_BLOCK (1u << 16)
/* Slots flipped to SEND_REQUEST before each send(); the kernel sends them all in one call. */
#define BLAST_BATCH 512u

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Offset of frame data in a TPACKET_V2 TX slot (the kernel's tp_hdrlen - sizeof(sockaddr_ll)). */
#define TX_DATA_OFF TPACKET_ALIGN(sizeof(struct tpacket2_hdr))

typedef struct {
  int fd;
  uint8_t *ring;
  size_t ring_len;
  uint32_t frame_size, frames;
} txring;

static int ring_open(txring *r, const char *ifname, uint32_t max_len, uint32_t want_frames) {
  r->fd = -1;
  r->ring = NULL;
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) return -ENODEV;
  uint32_t fs = 64;
  while (fs < TX_DATA_OFF + max_len) fs <<= 1;
  if (fs > BLAST_BLOCK) return -EMSGSIZE;
  uint32_t per_block = BLAST_BLOCK / fs;
  uint32_t blocks = (want_frames + per_block - 1) / per_block;
  if (blocks < 4) blocks = 4;
  if (blocks > 1024) blocks = 1024;
  /* Protocol 0: a transmit-only socket, so no received frame is ever queued to it. */
  r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (r->fd < 0) return -errno;
  int v = TPACKET_V2;
  if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return -errno;
  v = 1;
  if (setsockopt(r->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &v, sizeof v) < 0) return -errno;
  /* A frame the device refuses is skipped, not retried forever. */
  if (setsockopt(r->fd, SOL_PACKET, PACKET_LOSS, &v, sizeof v) < 0) return -errno;
  struct tpacket_req req = {
      .tp_block_size = BLAST_BLOCK, .tp_block_nr = blocks, .tp_frame_size = fs, .tp_frame_nr = per_block * blocks};
  if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) return -errno;
  r->ring_len = (size_t)BLAST_BLOCK * blocks;
  void *m = mmap(NULL, r->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
  if (m == MAP_FAILED) return -errno;
  r->ring = m;
  r->frame_size = fs;
  r->frames = per_block * blocks;
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = (int)idx;
  if (bind(r->fd, (struct sockaddr *)&sll, sizeof sll) < 0) return -errno;
  return 0;
}

static void ring_close(txring *r) {
  if (r->ring) munmap(r->ring, r->ring_len);
  if (r->fd >= 0) close(r->fd);
}

static inline struct tpacket2_hdr *slot(txring *r, uint32_t i) {
  return (struct tpacket2_hdr *)(r->ring + (size_t)i * r->frame_size);
}

/* Frames per paced batch: about 200 µs of the rate, 16..BLAST_BATCH. */
static uint32_t paced_batch(double rate) {
  double b = rate / 5000.0;
  if (b < 16) b = 16;
  if (b > BLAST_BATCH) b = BLAST_BATCH;
  return (uint32_t)b;
}

/* Behind schedule by more than this, the schedule moves forward instead of bursting. */
#define BLAST_MAX_LAG_NS 2000000ull

/*
 * Sends frames round-robin from the filled ring until `max` went or `deadline` passed; with
 * rate > 0 the frame with sequence number k is not queued before start + k / rate.
 */
static int64_t ring_run(txring *r, uint64_t max, uint64_t deadline, double rate) {
  uint64_t queued = 0;
  uint32_t head = 0;
  int64_t err = 0;
  uint32_t batch = rate > 0 ? paced_batch(rate) : BLAST_BATCH;
  double ns_per_frame = rate > 0 ? 1e9 / rate : 0;
  /* Schedule origin: frame k is due at base + (k - base_k) * ns_per_frame. */
  uint64_t base = now_ns(), base_k = 0;
  while (queued < max) {
    if (rate > 0) {
      uint64_t due = base + (uint64_t)((double)(queued - base_k) * ns_per_frame);
      uint64_t now = now_ns();
      if (due > now) {
        if (due >= deadline) break;
        struct timespec ts = {.tv_sec = (time_t)(due / 1000000000ull), .tv_nsec = (long)(due % 1000000000ull)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
      } else if (now - due > BLAST_MAX_LAG_NS) {
        base = now - BLAST_MAX_LAG_NS;
        base_k = queued;
      }
    }
    uint32_t n = 0;
    while (n < batch && queued + n < max) {
      struct tpacket2_hdr *h = slot(r, head);
      uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
      if (st != TP_STATUS_AVAILABLE && st != TP_STATUS_WRONG_FORMAT) break; /* still in flight */
      __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
      head = head + 1 == r->frames ? 0 : head + 1;
      n++;
    }
    queued += n;
    if (send(r->fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR) {
      err = -errno;
      break;
    }
    if (now_ns() >= deadline) break;
  }
  /* Let the kernel finish what is queued before the ring goes away. */
  send(r->fd, NULL, 0, 0);
  return queued ? (int64_t)queued : err;
}

/*
 * blast(ifname, buf, pairs: Uint32Array [off, len]*, count, secs, maxFrames[, rate]) -> frames | -errno
 * rate: frames per second, 0 or absent = unpaced.
 */
static napi_value js_blast(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return lvs_num(env, -EINVAL);
  char name[IF_NAMESIZE + 1];
  size_t nlen = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok || nlen >= IF_NAMESIZE)
    return lvs_num(env, -ENODEV);
  size_t blen, plen;
  void *bdata, *pdata;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &bdata, &blen)) return lvs_num(env, -EINVAL);
  if (!lvs_typed(env, argv[2], napi_uint32_array, &pdata, &plen)) return lvs_num(env, -EINVAL);
  uint32_t count;
  double secs, maxf;
  if (napi_get_value_uint32(env, argv[3], &count) != napi_ok || napi_get_value_double(env, argv[4], &secs) != napi_ok ||
      napi_get_value_double(env, argv[5], &maxf) != napi_ok)
    return lvs_num(env, -EINVAL);
  double rate = 0;
  if (argc >= 7) {
    napi_valuetype t;
    if (napi_typeof(env, argv[6], &t) != napi_ok) return lvs_num(env, -EINVAL);
    if (t != napi_undefined && napi_get_value_double(env, argv[6], &rate) != napi_ok) return lvs_num(env, -EINVAL);
  }
  if (count == 0 || (size_t)count * 2 > plen || !(secs > 0) || !(maxf >= 1) || !(rate >= 0))
    return lvs_num(env, -EINVAL);
  const uint32_t *pairs = pdata;
  uint32_t max_len = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t off = pairs[i * 2], len = pairs[i * 2 + 1];
    if (len == 0 || off + len > blen) return lvs_num(env, -EINVAL);
    if (len > max_len) max_len = (uint32_t)len;
  }
  txring r;
  int rc = ring_open(&r, name, max_len, count);
  if (rc < 0) {
    ring_close(&r);
    return lvs_num(env, rc);
  }
  /* Slot i holds frame i % count; the whole ring is built before the first send. */
  for (uint32_t i = 0; i < r.frames; i++) {
    struct tpacket2_hdr *h = slot(&r, i);
    uint32_t f = i % count;
    memcpy((uint8_t *)h + TX_DATA_OFF, (uint8_t *)bdata + pairs[f * 2], pairs[f * 2 + 1]);
    h->tp_len = pairs[f * 2 + 1];
    h->tp_status = TP_STATUS_AVAILABLE;
  }
  /* Paced sleeps should wake on time, not up to the default 50 µs late. */
  if (rate > 0) prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  uint64_t deadline = now_ns() + (uint64_t)(secs * 1e9);
  int64_t out = ring_run(&r, (uint64_t)maxf, deadline, rate);
  ring_close(&r);
  return lvs_num(env, out);
}

/* Bumped when blast()'s JS contract changes (checked by bench/lib/bench-addon.ts). */
#define LVS_BENCH_ABI 1

static napi_value init(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {{"blast", js_blast}};
  if (!lvs_register_fns(env, exports, fns, 1)) return NULL;
  napi_set_named_property(env, exports, "benchAbiVersion", lvs_num(env, LVS_BENCH_ABI));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
