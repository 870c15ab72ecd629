/*
 * Native steady-state TCP relay of the proxy data plane (see src/io/proxy/native-relay.ts).
 *
 * JS accepts the client, schedules, connects to the real server and then hands both sockets
 * over: start() dup()s the two fds (F_DUPFD_CLOEXEC) and JS closes its libuv handles. Closing
 * the original fd sends no FIN while the dup lives, and libuv EPOLL_CTL_DELs the old fd on close,
 * so from then on only this file touches the connection. Why below JS: Node's floor per relayed
 * chunk is a JS callback (MakeCallback, async hooks, microtask checkpoint) plus a writeBuffer
 * binding call; a request/response round trip paid that twice, which held keep-alive to ~0.8×
 * HAProxy (BENCHMARKS.md, "Proxy data plane").
 *
 * Design choices:
 * - No thread: the relay shares lvsd's one core, as HAProxy nbthread 1 does in the benchmark.
 *   The relay keeps one epoll set of its own, edge-triggered, and Node's loop watches that one
 *   fd with a single uv_poll_t; each wakeup drains it with epoll_wait(0). Each socket is added
 *   once (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET) and leaves the set when its fd closes, so a
 *   connection costs 2 epoll_ctl in all. A uv_poll_t per socket (the first version) cost ~12:
 *   libuv's uv_poll_start does EPOLL_CTL_DEL + ADD on every mask change, and closing one DELs
 *   again; with `Connection: close` that made it slower than the JS relay.
 * - Edge-triggered, so flags remember readiness: CAN_R(s) from an EPOLLIN edge until recv says
 *   EAGAIN or returns short (TCP recv takes all that is queued, and later bytes make a new edge;
 *   a FIN that came in the same edge is read through to the 0), CAN_W(s) until a send is short,
 *   then back with the EPOLLOUT edge the kernel raises once the send buffer drains.
 * - recv()/send() per chunk: a request costs 2 reads + 2 writes like HAProxy. Reads land in one
 *   process-wide 64 KB buffer; a chunk the destination could not take whole is copied into a
 *   per-direction buffer from a small pool and its source is not read until that chunk is out,
 *   so at most one chunk per direction is buffered (backpressure). A direction whose reads are
 *   big (bulk) keeps that buffer and reads straight into it until its reads get small again, so
 *   bulk never copies and an idle connection owns no buffer (its memory is one ~64-byte record).
 * - Events carry slot and generation, not a pointer: an event fetched in the same batch as the
 *   close of its connection, or one a forked child's brief copy of the fd keeps alive, is
 *   ignored instead of touching freed memory.
 * - Counters without JS per read: bytes and a packet estimate (one per MSS-sized segment, as
 *   the JS relay counts) are added to the connection's slot of a Float64Array JS owns; the first
 *   count after JS read the slot appends the slot number to a dirty list, which JS's 250 ms
 *   sweep walks to feed the core (bytes, rates, idle-timer re-arm). So idle connections cost the
 *   sweep nothing.
 * - Rare events (a FIN per side, a reset, the final close) call one JS function: per connection,
 *   not per read. A reset on one side resets the other (SO_LINGER {1,0} + close), as the kernel
 *   forwards an RST through a NAT conn; an EOF becomes shutdown(SHUT_WR) of the other side once
 *   its pending bytes are written.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "tcp_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static uint8_t *buf_get(relay_ctx *c) { return c->npool > 0 ? c->pool[--c->npool] : malloc(RELAY_BUF); }

static void buf_put(relay_ctx *c, uint8_t *b) {
  if (!b) return;
  if (c->npool < POOL_MAX) c->pool[c->npool++] = b;
  else free(b);
}

static void count(relay *r, int d, ssize_t n) {
  relay_ctx *c = r->ctx;
  double *st = c->stats + (size_t)r->slot * STAT_WORDS;
  st[d] += (double)n;
  st[2 + d] += n <= MSS ? 1 : (double)((n + MSS - 1) / MSS);
  if (st[4] == 0) {
    st[4] = 1;
    int32_t k = c->dirty[0];
    if ((size_t)k < c->dirty_cap) c->dirty[1 + k] = (int32_t)r->slot;
    if (k < INT32_MAX) c->dirty[0] = k + 1;
  }
}

/* The epoll fd's libuv watcher keeps the loop alive only while connections are relayed or a
 * native listener is open, as their libuv handles did. */
static void live_changed(relay_ctx *c) {
  if (!c->epoll_poll) return;
  if (c->live || c->nlisten) uv_ref((uv_handle_t *)c->epoll_poll);
  else uv_unref((uv_handle_t *)c->epoll_poll);
}

/* Closes both sockets (with an RST when rst) and frees the record. Closing our dups (the only
 * fds left on these sockets) drops them from the epoll set; a stale event already fetched, or
 * one kept alive by a forked child briefly sharing the fds, names slot and generation and is
 * ignored once the slot is empty or reused. */
static void close_relay(relay *r, int rst) {
  relay_ctx *c = r->ctx;
  for (int s = 0; s < 2; s++) {
    if (rst) {
      struct linger l = {1, 0};
      setsockopt(r->fd[s], SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    if (r->fd[s] >= 0) close(r->fd[s]); /* a failed connect leaves no server socket */
    buf_put(c, r->own[s]);
  }
  if (r->slot < c->nslots && c->slots[r->slot] == r) c->slots[r->slot] = NULL;
  c->live--;
  live_changed(c);
  free(r);
}

/* Calls JS: fn(a, b), through napi_make_callback since we are in a uv callback. */
static void call2(relay_ctx *c, napi_ref fn, int64_t a, int64_t b) {
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], ret;
  if (fn && napi_get_reference_value(env, fn, &cb) == napi_ok && cb) {
    napi_get_global(env, &recv);
    argv[0] = lvs_num(env, a);
    argv[1] = lvs_num(env, b);
    if (napi_make_callback(env, c->actx, recv, cb, 2, argv, &ret) == napi_pending_exception)
      lvs_fatal_pending(env);
  }
  napi_close_handle_scope(env, scope);
}

/* Hands the queued events to JS in one call: onEvents(n, 0). */
void relay_flush(relay_ctx *c) {
  size_t n = c->evq_n;
  if (n == 0) return;
  c->evq_n = 0;
  call2(c, c->evq_cb_ref, (int64_t)n, 0);
}

/* Tells JS about a connection event. With native accept the event is queued (in order, flushed
 * at the end of the epoll round, before any other call into JS and when the queue is full):
 * JS learns of ESTABLISHED, the FINs and the close of a short connection in one call per round
 * instead of one each, which was most of the JS cost of a new connection. Only a failed connect
 * calls JS at once, after the queue, since JS answers it with a retry. Without native accept,
 * onEvent(slot, ev) per event. Queued events reach JS after C freed a closed relay's slot; JS
 * reuses a slot only when it has seen its close, so no event can name the wrong connection. */
static void emit(relay_ctx *c, uint32_t slot, int ev) {
  if (c->evq && !(ev & EV_CONNECT_FAILED)) {
    if (c->evq_n == c->evq_cap) relay_flush(c);
    c->evq[2 * c->evq_n] = (int32_t)slot;
    c->evq[2 * c->evq_n + 1] = ev;
    c->evq_n++;
    return;
  }
  relay_flush(c);
  call2(c, c->cb_ref, slot, ev);
}

/* Side s failed (reset, or a socket error): the peer gets a reset, JS gets s's RST event. */
static void fail(relay *r, int s) {
  uint32_t slot = r->slot;
  relay_ctx *c = r->ctx;
  close_relay(r, 1);
  emit(c, slot, (s == 0 ? EV_CLIENT_RST : EV_SERVER_RST) | EV_CLOSED);
}

static int is_again(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

/* Shuts down writing toward side s; returns EV_CLOSED when that finished (and freed) r. */
static int shut(relay *r, int s) {
  shutdown(r->fd[s], SHUT_WR); /* ENOTCONN after a peer reset is harmless: the read side sees it */
  r->flags |= F_SHUT(s);
  const uint32_t all = F_EOF(0) | F_EOF(1) | F_SHUT(0) | F_SHUT(1);
  if ((r->flags & all) != all) return 0;
  close_relay(r, 0);
  return EV_CLOSED;
}

/* Writes direction d's pending bytes to side 1-d. Returns 0, or -1 when r is gone. */
static int flush(relay *r, int d) {
  int t = 1 - d;
  ssize_t w = send(r->fd[t], r->own[d] + r->off[d], r->len[d], MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0) {
    if (is_again(errno)) {
      r->flags &= ~F_CAN_W(t);
      return 0;
    }
    fail(r, t);
    return -1;
  }
  r->off[d] += (uint32_t)w;
  r->len[d] -= (uint32_t)w;
  if (r->len[d] > 0) {
    r->flags &= ~F_CAN_W(t);
    return 0;
  }
  if (!(r->flags & F_EOF(d))) return 0;
  /* The source already ended: its FIN goes out now that nothing is queued before it. */
  uint32_t slot = r->slot;
  relay_ctx *c = r->ctx;
  if (shut(r, t)) {
    emit(c, slot, EV_CLOSED);
    return -1;
  }
  return 0;
}

/* Side s ended: tell JS, and pass the FIN on once nothing is pending. -1 when r is gone. */
static int eof(relay *r, int s) {
  r->flags |= F_EOF(s);
  uint32_t slot = r->slot;
  relay_ctx *c = r->ctx;
  uint32_t gen = r->gen;
  int ev = s == 0 ? EV_CLIENT_FIN : EV_SERVER_FIN;
  if (r->len[s] == 0) ev |= shut(r, 1 - s);
  emit(c, slot, ev);
  if (ev & EV_CLOSED) return -1;
  /* JS may have closed the relay from its handler (relayClose): then r is gone. */
  relay *x = slot < c->nslots ? c->slots[slot] : NULL;
  return x == r && x->gen == gen ? 0 : -1;
}

/* One read from side s, written on to the other side. Returns 1 to read again, 0 when s has
 * nothing more for now (or its bytes must wait), -1 when r is gone. */
static int pump(relay *r, int s) {
  relay_ctx *c = r->ctx;
  int t = 1 - s;
  uint8_t *buf = r->own[s] ? r->own[s] : c->shared;
  ssize_t n = recv(r->fd[s], buf, RELAY_BUF, 0);
  if (n < 0) {
    if (is_again(errno)) {
      r->flags &= ~F_CAN_R(s);
      return 0;
    }
    fail(r, s);
    return -1;
  }
  if (n == 0) {
    r->flags &= ~F_CAN_R(s);
    return eof(r, s);
  }
  /* TCP recv returns all that is queued up to the buffer size: a short read drained the socket,
   * and the next arrival is a new edge. Not so a FIN that came with the data (EPOLLRDHUP in the
   * same edge): nothing would report it again, so read on to the 0. */
  if (n < RELAY_BUF && !(r->flags & F_RDHUP(s))) r->flags &= ~F_CAN_R(s);
  count(r, s, n);
  ssize_t w = 0;
  if (r->flags & F_CAN_W(t)) {
    w = send(r->fd[t], buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (!is_again(errno)) {
        fail(r, t);
        return -1;
      }
      w = 0;
    }
  }
  if (w < n) {
    /* Backpressure: the rest waits in own[s] and s is not read until t took it (EPOLLOUT). */
    r->flags &= ~F_CAN_W(t);
    if (buf == r->own[s]) {
      r->off[s] = (uint32_t)w;
    } else {
      if (!(r->own[s] = buf_get(c))) {
        fail(r, s);
        return -1;
      }
      memcpy(r->own[s], buf + w, (size_t)(n - w));
      r->off[s] = 0;
    }
    r->len[s] = (uint32_t)(n - w);
    return 0;
  }
  if (r->own[s] && n < BULK_AT) {
    buf_put(c, r->own[s]); /* traffic got small again: back to the shared buffer */
    r->own[s] = NULL;
  } else if (!r->own[s] && n >= BULK_AT) {
    r->own[s] = buf_get(c); /* bulk: read straight into a private buffer from now on */
  }
  return (r->flags & F_CAN_R(s)) ? 1 : 0;
}

/* Moves side s's bytes on while it has some and nothing of its direction is pending. */
static int drain_side(relay *r, int s) {
  /* Edge-triggered: read until the socket is drained or the destination pushes back (its send
   * buffer bounds how long one side can hold the loop), since no new edge would come. */
  while ((r->flags & F_CAN_R(s)) && !(r->flags & F_EOF(s)) && r->len[s] == 0) {
    int st = pump(r, s);
    if (st < 0) return -1;
    if (st == 0) break;
  }
  return 0;
}

/* The connect of r's server socket finished (EPOLLOUT, or an error): on success the relay starts,
 * with JS told once (EV_ESTABLISHED); on failure the socket closes and JS decides about a retry
 * (EV_CONNECT_FAILED with the errno). Returns 1 when r is relaying, 0 when not (or gone). */
static int connect_done(relay *r, uint32_t ev) {
  relay_ctx *c = r->ctx;
  uint32_t slot = r->slot, gen = r->gen;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(r->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == 0 && (ev & (EPOLLERR | EPOLLHUP))) err = ECONNREFUSED;
  if (err != 0) {
    close(r->fd[1]); /* the only fd on that socket: it leaves the epoll set */
    r->fd[1] = -1;
    relay_emit(c, slot, EV_CONNECT_FAILED | (err << 8));
    return 0;
  }
  if (!(ev & EPOLLOUT)) return 0;
  r->flags &= ~F_CONNECTING;
  relay_emit(c, slot, EV_ESTABLISHED);
  relay *x = relay_at(c, slot);
  return x == r && x->gen == gen;
}

/* One readiness event of side s of r (edge-triggered: the flags remember what is possible). */
static void on_event(relay *r, int s, uint32_t ev) {
  if (r->flags & F_CONNECTING) {
    /* Natively accepted, server not connected yet: the client's readiness is remembered (its
     * bytes wait in its socket, as they would in the JS path's unread handle) and nothing is
     * relayed until the connect completes. */
    if (s == 0) {
      if (ev & EPOLLERR) {
        fail(r, 0);
        return;
      }
      if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) r->flags |= F_CAN_R(0);
      if (ev & (EPOLLHUP | EPOLLRDHUP)) r->flags |= F_RDHUP(0);
      if (ev & EPOLLOUT) r->flags |= F_CAN_W(0);
      return;
    }
    if (r->fd[1] < 0 || !connect_done(r, ev)) return;
    /* Now relaying: the PROXY header (pending in direction 0) goes first, then whatever the
     * client sent meanwhile, then the server's side as any event. */
    r->flags |= F_CAN_W(1);
    if (r->len[0] > 0 && flush(r, 0) < 0) return;
    if (r->len[0] == 0 && drain_side(r, 0) < 0) return;
    ev &= ~(uint32_t)EPOLLOUT;
  }
  if (ev & EPOLLERR) {
    fail(r, s);
    return;
  }
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) r->flags |= F_CAN_R(s);
  if (ev & (EPOLLHUP | EPOLLRDHUP)) r->flags |= F_RDHUP(s);
  if (ev & EPOLLOUT) r->flags |= F_CAN_W(s);
  int t = 1 - s;
  if ((r->flags & F_CAN_W(s)) && r->len[t] > 0) {
    if (flush(r, t) < 0) return;
    if (r->len[t] == 0 && drain_side(r, t) < 0) return; /* its source may have waited */
  }
  drain_side(r, s);
}

static void on_epoll(uv_poll_t *p, int status, int events) {
  (void)events;
  relay_ctx *c = p->data;
  if (status < 0) return;
  struct epoll_event evs[BATCH];
  for (int round = 0; round < ROUNDS; round++) {
    int n = epoll_wait(c->epfd, evs, BATCH, 0);
    for (int i = 0; i < n; i++) {
      uint64_t u = evs[i].data.u64;
      if (u & TAG_LISTENER) {
        acceptor_ready(c, (uint32_t)u);
        continue;
      }
      uint32_t slot = (uint32_t)u >> 1, gen = (uint32_t)(u >> 32);
      relay *r = slot < c->nslots ? c->slots[slot] : NULL;
      if (r && r->gen == gen) on_event(r, (int)(u & 1), evs[i].events);
    }
    if (n < BATCH) break;
  }
  relay_flush(c);
}

/* ---- for tcp_acceptor.c ---- */

uint8_t *relay_buf_get(relay_ctx *c) { return buf_get(c); }
void relay_emit(relay_ctx *c, uint32_t slot, int ev) { emit(c, slot, ev); }
void relay_close(relay *r, int rst) { close_relay(r, rst); }
void relay_live_changed(relay_ctx *c) { live_changed(c); }
relay *relay_at(relay_ctx *c, uint32_t slot) { return slot < c->nslots ? c->slots[slot] : NULL; }

/* Adds side k's fd to the epoll set, once for the connection's life (closing it removes it),
 * edge-triggered, where a uv_poll_t per socket cost a DEL + ADD per mask change. 0 or -errno. */
int relay_watch(relay *r, int k) {
  struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                          .data.u64 = ((uint64_t)r->gen << 32) | ((uint64_t)r->slot << 1) | (uint64_t)k};
  return epoll_ctl(r->ctx->epfd, EPOLL_CTL_ADD, r->fd[k], &e) < 0 ? -errno : 0;
}

/* A relay in `slot` owning client fd cfd (watched) and no server socket yet; NULL with *err set
 * when the slot is taken or out of range, or on ENOMEM / epoll failure (cfd is then not owned). */
relay *relay_add(relay_ctx *c, uint32_t slot, int cfd, int *err) {
  if (!c->stats) {
    *err = -ENOTCONN;
    return NULL;
  }
  if (slot >= c->nslots || c->slots[slot]) {
    *err = -EINVAL;
    return NULL;
  }
  relay *r = calloc(1, sizeof *r);
  if (!r) {
    *err = -ENOMEM;
    return NULL;
  }
  r->ctx = c;
  r->slot = slot;
  r->gen = c->gen = (c->gen + 1) & 0x7fffffff;
  r->flags = F_CAN_W(0) | F_CAN_W(1);
  r->fd[0] = cfd;
  r->fd[1] = -1;
  if ((*err = relay_watch(r, 0)) < 0) {
    free(r);
    return NULL;
  }
  double *st = c->stats + (size_t)slot * STAT_WORDS;
  memset(st, 0, STAT_WORDS * sizeof *st);
  c->slots[slot] = r;
  c->live++;
  live_changed(c);
  return r;
}

/* ---- JS API ---- */

/* One relay context per process, bound to the env that loaded the module first (lvsd's main
 * thread). Not napi instance data: other units of the addon may want that slot. A worker thread
 * loading the addon gets no relay functions and JS falls back to its own relay there. */
static relay_ctx *g_ctx;

static relay_ctx *ctx_of(napi_env env) { return g_ctx && g_ctx->env == env ? g_ctx : NULL; }

relay_ctx *relay_ctx_of(napi_env env) { return ctx_of(env); }

/* relayInit(stats: Float64Array, dirty: Int32Array, onEvent(slot, ev)) -> 0 | -errno.
 * Called again with larger arrays when JS needs more slots (JS copies the old contents). */
static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  relay_ctx *c = ctx_of(env);
  if (!c) return lvs_num(env, -ENOMEM);
  void *sd, *dd;
  size_t slen, dlen;
  napi_valuetype cbt;
  if (argc < 3 || !lvs_typed(env, argv[0], napi_float64_array, &sd, &slen) ||
      !lvs_typed(env, argv[1], napi_int32_array, &dd, &dlen) || dlen < 1 ||
      napi_typeof(env, argv[2], &cbt) != napi_ok || cbt != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relayInit(Float64Array, Int32Array, function)");
    return NULL;
  }
  size_t n = slen / STAT_WORDS;
  if (n < c->nslots) return lvs_num(env, -EINVAL); /* never shrink under live connections */
  if (n > c->nslots) {
    relay **ns = realloc(c->slots, n * sizeof *ns);
    if (!ns) return lvs_num(env, -ENOMEM);
    memset(ns + c->nslots, 0, (n - c->nslots) * sizeof *ns);
    c->slots = ns;
    c->nslots = n;
  }
  if (!c->shared && !(c->shared = malloc(RELAY_BUF))) return lvs_num(env, -ENOMEM);
  if (c->epfd < 0) {
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->epfd < 0) return lvs_num(env, -errno);
    int r = lvs_poll_new(env, c->epfd, c, &c->epoll_poll);
    if (r == 0) r = uv_poll_start(c->epoll_poll, UV_READABLE, on_epoll);
    if (r != 0) {
      lvs_poll_stop(&c->epoll_poll);
      close(c->epfd);
      c->epfd = -1;
      if (r == LVS_POLL_NAPI_FAILED) return NULL;
      return lvs_num(env, r);
    }
    live_changed(c);
  }
  lvs_drop_ref(env, &c->stats_ref);
  lvs_drop_ref(env, &c->dirty_ref);
  lvs_drop_ref(env, &c->cb_ref);
  CHECK(napi_create_reference(env, argv[0], 1, &c->stats_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &c->dirty_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &c->cb_ref));
  if (!c->actx) {
    napi_value name;
    CHECK(napi_create_string_utf8(env, "lvs:tcp-relay", NAPI_AUTO_LENGTH, &name));
    CHECK(napi_async_init(env, NULL, name, &c->actx));
  }
  c->stats = sd;
  c->dirty = dd;
  c->dirty_cap = dlen - 1;
  return lvs_num(env, 0);
}

static int dup_fd(int fd) {
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return -errno;
  /* O_NONBLOCK lives on the open file description, shared with libuv's (non-blocking) fd. */
  int one = 1;
  setsockopt(d, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* both sides, as HAProxy does */
  return d;
}

/* relayStart(slot, clientFd, serverFd, first?: Uint8Array) -> 0 | -errno. On success the relay
 * owns dups of both fds (JS closes its handles); `first` (the PROXY protocol header) is sent to
 * the server before anything the client sends. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  relay_ctx *c = ctx_of(env);
  uint32_t slot;
  int32_t cfd, sfd;
  if (argc < 3 || napi_get_value_uint32(env, argv[0], &slot) != napi_ok ||
      napi_get_value_int32(env, argv[1], &cfd) != napi_ok || napi_get_value_int32(env, argv[2], &sfd) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relayStart(slot, fd, fd, [Uint8Array])");
    return NULL;
  }
  void *first = NULL;
  size_t flen = 0;
  if (argc >= 4) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[3], &t));
    if (t != napi_undefined && !lvs_typed(env, argv[3], napi_uint8_array, &first, &flen)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relayStart: first must be a Uint8Array");
      return NULL;
    }
  }
  if (!c || !c->stats) return lvs_num(env, -ENOTCONN);
  if (slot >= c->nslots || c->slots[slot]) return lvs_num(env, -EINVAL);
  if (cfd < 0 || sfd < 0) return lvs_num(env, -EBADF);
  if (flen > RELAY_BUF) return lvs_num(env, -EMSGSIZE);
  int cd = dup_fd(cfd);
  if (cd < 0) return lvs_num(env, cd);
  int sd = dup_fd(sfd);
  if (sd < 0) {
    close(cd);
    return lvs_num(env, sd);
  }
  int err = 0;
  relay *r = relay_add(c, slot, cd, &err);
  if (!r) {
    close(cd);
    close(sd);
    return lvs_num(env, err);
  }
  r->fd[1] = sd;
  if ((err = relay_watch(r, 1)) < 0) {
    close_relay(r, 0); /* closes only our dups: JS keeps relaying on its handles */
    return lvs_num(env, err);
  }
  if (flen > 0) {
    ssize_t w = send(r->fd[1], first, flen, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && !is_again(errno)) {
      int e = errno;
      close_relay(r, 1);
      return lvs_num(env, -e);
    }
    if (w < 0) w = 0;
    if ((size_t)w < flen) {
      /* The header's rest waits like any pending chunk: the client is read once it is out. */
      if (!(r->own[0] = buf_get(c))) {
        close_relay(r, 1);
        return lvs_num(env, -ENOMEM);
      }
      memcpy(r->own[0], (const uint8_t *)first + w, flen - (size_t)w);
      r->len[0] = (uint32_t)(flen - (size_t)w);
      r->flags &= ~F_CAN_W(1);
    }
  }
  return lvs_num(env, 0);
}

/* relayClose(slot, rst) -> 0 | -ENOENT: JS closes a relay (idle timeout, expire_nodest_conn);
 * no event follows. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  relay_ctx *c = ctx_of(env);
  uint32_t slot;
  bool rst = true;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &slot) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relayClose(slot, rst)");
    return NULL;
  }
  if (argc >= 2) napi_get_value_bool(env, argv[1], &rst);
  if (!c || slot >= c->nslots || !c->slots[slot]) return lvs_num(env, -ENOENT);
  close_relay(c->slots[slot], rst); /* pending events of the slot are ignored (generation) */
  return lvs_num(env, 0);
}

/* relayInfo(out: Float64Array(4)) -> 0: live relays, pooled buffers, buffers held by live relays,
 * bytes waiting in them for a slow destination (what backpressure bounds). */
static napi_value js_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  relay_ctx *c = ctx_of(env);
  void *d;
  size_t n;
  if (argc < 1 || !lvs_typed(env, argv[0], napi_float64_array, &d, &n) || n < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relayInfo(Float64Array(4))");
    return NULL;
  }
  double *o = d;
  size_t held = 0, pending = 0;
  for (size_t i = 0; c && i < c->nslots; i++) {
    relay *r = c->slots[i];
    if (!r) continue;
    held += (r->own[0] != NULL) + (r->own[1] != NULL);
    pending += (size_t)r->len[0] + r->len[1];
  }
  o[0] = c ? (double)c->live : 0;
  o[1] = c ? c->npool : 0;
  o[2] = (double)held;
  o[3] = (double)pending;
  return lvs_num(env, 0);
}

static void ctx_free(void *data) {
  relay_ctx *c = data;
  napi_env env = c->env;
  g_ctx = NULL;
  /* Module teardown (env exit): live relays' fds close with the process; only memory here. */
  lvs_drop_ref(env, &c->stats_ref);
  lvs_drop_ref(env, &c->dirty_ref);
  lvs_drop_ref(env, &c->cb_ref);
  if (c->actx) napi_async_destroy(env, c->actx);
  acceptor_free(c);
  lvs_poll_stop(&c->epoll_poll);
  if (c->epfd >= 0) close(c->epfd);
  for (int i = 0; i < c->npool; i++) free(c->pool[i]);
  free(c->shared);
  free(c->slots);
  free(c);
}

napi_value lvs_relay_register(napi_env env, napi_value exports);

napi_value lvs_relay_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {
      {"relayInit", js_init}, {"relayStart", js_start}, {"relayClose", js_close}, {"relayInfo", js_info}};
  if (g_ctx) return exports; /* another env owns the relay: functions absent, JS falls back */
  relay_ctx *c = calloc(1, sizeof *c);
  if (!c) return exports;
  c->env = env;
  c->epfd = -1;
  c->reserve_fd = -1;
  if (napi_add_env_cleanup_hook(env, ctx_free, c) != napi_ok) {
    free(c);
    return exports;
  }
  g_ctx = c;
  if (!lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0])) return NULL;
  napi_set_named_property(env, exports, "relayAbi", lvs_num(env, RELAY_ABI));
  napi_set_named_property(env, exports, "relayStatWords", lvs_num(env, STAT_WORDS));
  return lvs_acceptor_register(env, exports);
}
