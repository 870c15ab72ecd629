/*
 * The native TCP relay's shared state (native/tcp_relay.c) and the native acceptor that feeds it
 * (native/tcp_acceptor.c). Internal to the addon: JS sees only the functions both register.
 */
#ifndef LVS_TCP_RELAY_H
#define LVS_TCP_RELAY_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <stddef.h>
#include <stdint.h>

/* Bumped when the JS-visible contract of the relay functions changes (native-relay.ts checks). */
#define RELAY_ABI 2
#define RELAY_BUF (64 * 1024)
/* A read this big keeps its direction's private buffer (bulk mode, no copies). */
#define BULK_AT (16 * 1024)
/* Packets are estimated as segments of one loopback/Ethernet MSS, as the JS relay does. */
#define MSS 1448
/* Buffers kept for reuse: bulk connections come and go without malloc churn, and idle memory
 * stays bounded (at most POOL_MAX * 64 KB beyond what live transfers hold). */
#define POOL_MAX 32
/* Events taken per epoll_wait, and rounds per libuv wakeup before yielding to the loop. */
#define BATCH 256
#define ROUNDS 4

/* Float64 words per stats slot: bytes in, bytes out, packets in, packets out, dirty flag. */
#define STAT_WORDS 5
/* Events passed to JS: the same numbers as CONN_EV in src/io/proxy/core.ts, plus a bit saying
 * the relay closed both sockets (it is then gone and its slot free). */
#define EV_CLIENT_FIN 1
#define EV_SERVER_FIN 2
#define EV_CLIENT_RST 3
#define EV_SERVER_RST 4
#define EV_CLOSED 8
/* Native accept (tcp_acceptor.c): the real server answered the connect (CONN_EV.ESTABLISHED),
 * or the connect failed, with the errno in bits 8 and up; the relay then has no server socket
 * and waits for JS to connect it again (relayConnect) or close it (relayClose). */
#define EV_ESTABLISHED 16
#define EV_CONNECT_FAILED 32

/* Per-side flags. Side 0 is the client, 1 the real server; direction d carries side d's bytes
 * to side 1-d, so direction 0 is the kernel's "in" (DIR_IN) and 1 is "out" (DIR_OUT). */
#define F_EOF(s) (1u << (s))   /* side s sent its FIN */
#define F_SHUT(s) (4u << (s))  /* we shut down writing toward side s */
#define F_CAN_R(s) (16u << (s)) /* edge seen: side s may have bytes to read */
#define F_CAN_W(s) (64u << (s)) /* side s took everything we wrote so far */
#define F_RDHUP(s) (256u << (s)) /* side s's FIN has arrived: read until recv says 0 */
#define F_CONNECTING (1024u)     /* fd[1] is connecting (or -1 between a failure and a retry) */

typedef struct relay_ctx relay_ctx;

typedef struct {
  relay_ctx *ctx;
  int fd[2];
  uint32_t slot, gen;
  uint32_t flags;
  uint8_t *own[2];         /* per-direction buffer (pending bytes or bulk reads) */
  uint32_t off[2], len[2]; /* pending bytes of direction d in own[d] */
} relay;

struct relay_ctx {
  napi_env env;
  napi_ref stats_ref, dirty_ref, cb_ref;
  napi_async_context actx;
  double *stats;
  int32_t *dirty; /* dirty[0]: count (may exceed capacity: JS then scans all), then slots */
  size_t dirty_cap;
  relay **slots;
  size_t nslots;
  size_t live;
  uint32_t gen;
  int epfd;
  uv_poll_t *epoll_poll;
  uint8_t *pool[POOL_MAX];
  int npool;
  uint8_t *shared;
  /* Native accept (tcp_acceptor.c): listening fds by listener id (-1: free), the batch JS reads
   * and answers, the fds accepted in the current batch, a spare fd for EMFILE, JS's callback. */
  int *lfd;
  size_t nlfd, nlisten;
  int32_t *acc;
  size_t acc_cap;
  int *acc_fd;
  int reserve_fd;
  napi_ref acc_ref, acc_cb_ref;
  /* With native accept, relay events are queued here as (slot, ev) pairs and JS gets them in
   * one call per epoll round (onEvents), not one call each; see emit() in tcp_relay.c. */
  int32_t *evq;
  size_t evq_cap, evq_n;
  napi_ref evq_ref, evq_cb_ref;
};

/* Epoll data of a listening socket: this bit, and the listener id in the low bits (a relay's
 * generation is 31 bits, so the bit is never set for a relay's socket). */
#define TAG_LISTENER (1ull << 63)

/* tcp_relay.c, for tcp_acceptor.c. */
uint8_t *relay_buf_get(relay_ctx *c);
void relay_emit(relay_ctx *c, uint32_t slot, int ev);
void relay_flush(relay_ctx *c);
void relay_close(relay *r, int rst);
void relay_live_changed(relay_ctx *c);
relay *relay_add(relay_ctx *c, uint32_t slot, int cfd, int *err);
int relay_watch(relay *r, int side);
relay *relay_at(relay_ctx *c, uint32_t slot);
relay_ctx *relay_ctx_of(napi_env env);

/* tcp_acceptor.c, for tcp_relay.c. */
void acceptor_ready(relay_ctx *c, uint32_t lid);
void acceptor_free(relay_ctx *c);
napi_value lvs_acceptor_register(napi_env env, napi_value exports);

#endif
