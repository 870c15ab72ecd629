/*
 * Native accept and connect for the proxy data plane (see src/io/proxy/native-acceptor.ts).
 *
 * The JS path accepts each client through a libuv server handle (a JS callback and a handle
 * object per client), connects a libuv handle to the real server, and then hands both fds to
 * the native relay by dup() (tcp_relay.c): three JS round trips and four extra syscalls per
 * connection, which held new connections/s to 0.60-0.70x HAProxy. Here the listening socket is
 * in the relay's own epoll set, and:
 * - each wakeup accept4()s up to a batch of clients (non-blocking, close-on-exec) and makes ONE
 *   call into JS with their addresses in a preallocated Int32Array (no object per client). JS
 *   keeps every decision: the fd budget, scheduling (the core's openConn, persistence, conn_max),
 *   the real server and the PROXY protocol header, or a refusal. It answers in the same array;
 * - the relay's slot is taken at once with the client socket in it, and C connect()s the real
 *   server non-blocking itself. When the connect completes (tcp_relay.c connect_done) the pair
 *   relays as any other, with no libuv handle and no dup; a failed connect goes back to JS, one
 *   call per failure, which retries (relayConnect) or resets the client (relayClose), so
 *   retries, local_error and the one-conn-per-client count stay the JS path's.
 *
 * Kernel-exact scheduling order: clients are scheduled in the order accept() returns them (the
 * order their handshakes completed), one listening socket per service as before. Not used, and
 * why:
 * - SO_REUSEPORT: several listeners would split the accept queue by a hash of the 4-tuple, so
 *   the order the scheduler sees would no longer be the arrival order (and one process gains
 *   nothing from several queues).
 * - TCP_DEFER_ACCEPT: a client would be accepted only when its first bytes arrive, so a client
 *   that speaks first could be scheduled before one that connected earlier and waits for the
 *   server's greeting (SMTP, MySQL), and clients that never speak would not be conns at all,
 *   unlike a packet director where the SYN makes the conn.
 * - TCP_FASTOPEN: data in the SYN would arrive before the scheduling decision it depends on
 *   only in some clients, and the listener would accept before the handshake completes.
 * The listening socket is level-triggered in the epoll set (the relay's sockets are edge-
 * triggered): a batch that stops at its size leaves the rest for the next round, in order.
 */
#define _GNU_SOURCE
#include "napi_util.h"
#include "tcp_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Int32 words per batch record (native-acceptor.ts has the same layout):
 *   [0] listener id, [1] client af (4|6), [2] client port          (C → JS)
 *   [3] slot to relay in, or -1: reset the client                    (JS → C)
 *   [4] real server af, [5] its port, [6] PROXY header length      (JS → C)
 *   bytes 32..47 client address, 48..63 real server address, 64..191 PROXY header. */
#define REC_WORDS 48
#define REC_ADDR 32
#define REC_DADDR 48
#define REC_HDR 64
#define HDR_MAX 128

static int one_nodelay(int fd) {
  int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* both sides, as HAProxy */
}

/* A reset instead of a FIN, as the JS path's handle.reset() does for a refused client. */
static void rst_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

/* Connects r's server side to af/addr/port, non-blocking. 0 (in progress) or -errno. */
static int start_connect(relay *r, int af, const uint8_t *addr, int port) {
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (af == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    memcpy(&a->sin6_addr, addr, 16);
    sl = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    memcpy(&a->sin_addr, addr, 4);
    sl = sizeof *a;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  one_nodelay(fd);
  if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
    int e = -errno;
    close(fd);
    return e;
  }
  r->fd[1] = fd;
  r->flags |= F_CONNECTING;
  int e = relay_watch(r, 1);
  if (e < 0) {
    close(fd);
    r->fd[1] = -1;
  }
  return e;
}

/* EMFILE/ENFILE on accept: the queue cannot be drained, and a level-triggered listener would
 * wake the loop forever. As libuv does (src/unix/stream.c uv__emfile_trick): free the reserve
 * fd, accept and close what is queued, take the reserve back. The fd budget normally refuses
 * clients long before this. */
static void emfile_trick(relay_ctx *c, int lfd) {
  if (c->reserve_fd < 0) return;
  close(c->reserve_fd);
  c->reserve_fd = -1;
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      break;
    }
    rst_close(fd);
  }
  c->reserve_fd = open("/", O_RDONLY | O_CLOEXEC);
}

/* Calls JS: onAccept(lid, n). */
static void call_js(relay_ctx *c, uint32_t lid, int n) {
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], ret;
  if (c->acc_cb_ref && napi_get_reference_value(env, c->acc_cb_ref, &cb) == napi_ok && cb) {
    napi_get_global(env, &recv);
    argv[0] = lvs_num(env, lid);
    argv[1] = lvs_num(env, n);
    if (napi_make_callback(env, c->actx, recv, cb, 2, argv, &ret) == napi_pending_exception)
      lvs_fatal_pending(env);
  }
  napi_close_handle_scope(env, scope);
}

/* Carries out JS's answer for record i of the batch (client fd cfd). */
static void answer(relay_ctx *c, int32_t *rec, int cfd) {
  int32_t slot = rec[3];
  if (slot < 0) {
    rst_close(cfd);
    return;
  }
  int err = 0;
  relay *r = relay_add(c, (uint32_t)slot, cfd, &err);
  if (!r) {
    rst_close(cfd);
    /* The slot JS bound is not relaying: a local failure, and nothing left to retry. */
    if (err != -EINVAL) relay_emit(c, (uint32_t)slot, EV_CONNECT_FAILED | EV_CLOSED | (-err << 8));
    return;
  }
  one_nodelay(cfd);
  const uint8_t *bytes = (const uint8_t *)rec;
  int32_t hl = rec[6];
  if (hl > 0 && hl <= HDR_MAX) {
    /* The PROXY header waits as direction 0's pending chunk: it goes out once the connect
     * completes, before anything the client sends. */
    if (!(r->own[0] = relay_buf_get(c))) {
      relay_close(r, 1);
      relay_emit(c, (uint32_t)slot, EV_CONNECT_FAILED | EV_CLOSED | (ENOMEM << 8));
      return;
    }
    memcpy(r->own[0], bytes + REC_HDR, (size_t)hl);
    r->off[0] = 0;
    r->len[0] = (uint32_t)hl;
  }
  r->flags |= F_CONNECTING;
  err = start_connect(r, rec[4], bytes + REC_DADDR, rec[5]);
  if (err < 0) relay_emit(c, (uint32_t)slot, EV_CONNECT_FAILED | (-err << 8));
}

void acceptor_ready(relay_ctx *c, uint32_t lid) {
  if (lid >= c->nlfd || c->lfd[lid] < 0 || !c->acc) return;
  int lfd = c->lfd[lid];
  int n = 0;
  while ((size_t)n < c->acc_cap) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) emfile_trick(c, lfd);
      break; /* EAGAIN: drained */
    }
    int32_t *rec = c->acc + (size_t)n * REC_WORDS;
    uint8_t *bytes = (uint8_t *)rec;
    rec[0] = (int32_t)lid;
    if (ss.ss_family == AF_INET6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
      rec[1] = 6;
      rec[2] = ntohs(a->sin6_port);
      memcpy(bytes + REC_ADDR, &a->sin6_addr, 16);
    } else {
      struct sockaddr_in *a = (struct sockaddr_in *)&ss;
      rec[1] = 4;
      rec[2] = ntohs(a->sin_port);
      memcpy(bytes + REC_ADDR, &a->sin_addr, 4);
    }
    rec[3] = -1; /* refused unless JS answers */
    rec[6] = 0;
    c->acc_fd[n++] = fd;
  }
  if (n == 0) return;
  relay_flush(c); /* JS decides with every earlier event seen (the fd budget counts closes) */
  call_js(c, lid, n);
  for (int i = 0; i < n; i++) answer(c, c->acc + (size_t)i * REC_WORDS, c->acc_fd[i]);
}

void acceptor_free(relay_ctx *c) {
  napi_env env = c->env;
  lvs_drop_ref(env, &c->acc_ref);
  lvs_drop_ref(env, &c->acc_cb_ref);
  lvs_drop_ref(env, &c->evq_ref);
  lvs_drop_ref(env, &c->evq_cb_ref);
  c->evq = NULL;
  free(c->lfd);
  free(c->acc_fd);
  if (c->reserve_fd >= 0) close(c->reserve_fd);
}

/* ---- JS API ---- */

/* acceptInit(batch: Int32Array, onAccept(lid, n), events: Int32Array, onEvents(n)) -> 0 | -errno.
 * After relayInit. From then on relay events are queued in `events` (see emit in tcp_relay.c). */
static napi_value js_accept_init(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  relay_ctx *c = relay_ctx_of(env);
  void *d, *q;
  size_t len, qlen;
  napi_valuetype cbt, qbt;
  if (argc < 4 || !lvs_typed(env, argv[0], napi_int32_array, &d, &len) || len < REC_WORDS ||
      napi_typeof(env, argv[1], &cbt) != napi_ok || cbt != napi_function ||
      !lvs_typed(env, argv[2], napi_int32_array, &q, &qlen) || qlen < 2 ||
      napi_typeof(env, argv[3], &qbt) != napi_ok || qbt != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "acceptInit(Int32Array, function, Int32Array, function)");
    return NULL;
  }
  if (!c || c->epfd < 0) return lvs_num(env, -ENOTCONN);
  size_t cap = len / REC_WORDS;
  int *fds = realloc(c->acc_fd, cap * sizeof *fds);
  if (!fds) return lvs_num(env, -ENOMEM);
  c->acc_fd = fds;
  if (c->reserve_fd < 0) c->reserve_fd = open("/", O_RDONLY | O_CLOEXEC);
  relay_flush(c);
  lvs_drop_ref(env, &c->acc_ref);
  lvs_drop_ref(env, &c->acc_cb_ref);
  lvs_drop_ref(env, &c->evq_ref);
  lvs_drop_ref(env, &c->evq_cb_ref);
  CHECK(napi_create_reference(env, argv[0], 1, &c->acc_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &c->acc_cb_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &c->evq_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &c->evq_cb_ref));
  c->acc = d;
  c->acc_cap = cap;
  c->evq = q;
  c->evq_cap = qlen / 2;
  c->evq_n = 0;
  return lvs_num(env, 0);
}

/* acceptListen(fd, backlog) -> listener id | -errno. Listens on a dup of the bound socket fd
 * (JS then closes its handle, which never listened) and watches it in the relay's epoll set. */
static napi_value js_accept_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  relay_ctx *c = relay_ctx_of(env);
  int32_t fd, backlog;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &backlog) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "acceptListen(fd, backlog)");
    return NULL;
  }
  if (!c || !c->acc) return lvs_num(env, -ENOTCONN);
  size_t lid = 0;
  while (lid < c->nlfd && c->lfd[lid] >= 0) lid++;
  if (lid == c->nlfd) {
    size_t n = c->nlfd ? c->nlfd * 2 : 8;
    int *nl = realloc(c->lfd, n * sizeof *nl);
    if (!nl) return lvs_num(env, -ENOMEM);
    for (size_t i = c->nlfd; i < n; i++) nl[i] = -1;
    c->lfd = nl;
    c->nlfd = n;
  }
  /* libuv defers a bind's EADDRINUSE to listen (uv__tcp_bind keeps it as delayed_error), and
   * listen() on the unbound socket would pick a random port: an unbound socket is EADDRINUSE. */
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) return lvs_num(env, -errno);
  in_port_t bound = ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port;
  if (bound == 0) return lvs_num(env, -EADDRINUSE);
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0) return lvs_num(env, -errno);
  int fl = fcntl(d, F_GETFL);
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = TAG_LISTENER | lid};
  if (fl < 0 || fcntl(d, F_SETFL, fl | O_NONBLOCK) < 0 || listen(d, backlog) < 0 ||
      epoll_ctl(c->epfd, EPOLL_CTL_ADD, d, &e) < 0) {
    int err = -errno;
    close(d);
    return lvs_num(env, err);
  }
  c->lfd[lid] = d;
  c->nlisten++;
  relay_live_changed(c);
  return lvs_num(env, (int64_t)lid);
}

/* acceptClose(lid) -> 0 | -ENOENT: stops listening; accepted connections run on. */
static napi_value js_accept_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  relay_ctx *c = relay_ctx_of(env);
  uint32_t lid;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &lid) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "acceptClose(lid)");
    return NULL;
  }
  if (!c || lid >= c->nlfd || c->lfd[lid] < 0) return lvs_num(env, -ENOENT);
  close(c->lfd[lid]); /* the only fd on the socket: it leaves the epoll set */
  c->lfd[lid] = -1;
  c->nlisten--;
  relay_live_changed(c);
  return lvs_num(env, 0);
}

/* The relay in slot that is connecting (or waiting for a retry), else NULL. */
static relay *connecting(relay_ctx *c, uint32_t slot) {
  relay *r = c ? relay_at(c, slot) : NULL;
  return r && (r->flags & F_CONNECTING) ? r : NULL;
}

/* relayConnect(slot, af, addr: Uint8Array, port, header?: Uint8Array) -> 0 | -errno: JS's
 * retry after EV_CONNECT_FAILED, to the real server it scheduled next, with that server's PROXY
 * header (none: no header) replacing the one that waited for the failed server. */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t slot;
  int32_t af, port;
  void *addr, *hdr = NULL;
  size_t alen, hlen = 0;
  napi_valuetype ht = napi_undefined;
  if (argc >= 5) CHECK(napi_typeof(env, argv[4], &ht));
  if (argc < 4 || napi_get_value_uint32(env, argv[0], &slot) != napi_ok ||
      napi_get_value_int32(env, argv[1], &af) != napi_ok ||
      !lvs_typed(env, argv[2], napi_uint8_array, &addr, &alen) ||
      napi_get_value_int32(env, argv[3], &port) != napi_ok || alen < (af == 6 ? 16u : 4u) ||
      (ht != napi_undefined && !lvs_typed(env, argv[4], napi_uint8_array, &hdr, &hlen))) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relayConnect(slot, af, Uint8Array, port, [Uint8Array])");
    return NULL;
  }
  relay_ctx *c = relay_ctx_of(env);
  relay *r = connecting(c, slot);
  if (!r || r->fd[1] >= 0) return lvs_num(env, r ? -EALREADY : -ENOENT);
  if (hlen > HDR_MAX) return lvs_num(env, -EMSGSIZE);
  /* While connecting, direction 0's pending chunk can only be the header (the client is not
   * read before the connect completes). */
  r->len[0] = 0;
  r->off[0] = 0;
  if (hlen > 0) {
    if (!r->own[0] && !(r->own[0] = relay_buf_get(c))) return lvs_num(env, -ENOMEM);
    memcpy(r->own[0], hdr, hlen);
    r->len[0] = (uint32_t)hlen;
  }
  return lvs_num(env, start_connect(r, af, addr, port));
}

/* relayConnectAbort(slot) -> 0 | -ENOENT: JS's connect timeout; closes the server socket of a
 * connecting relay, no event. JS then retries or closes the slot. */
static napi_value js_connect_abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t slot;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &slot) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "relayConnectAbort(slot)");
    return NULL;
  }
  relay *r = connecting(relay_ctx_of(env), slot);
  if (!r) return lvs_num(env, -ENOENT);
  if (r->fd[1] >= 0) close(r->fd[1]);
  r->fd[1] = -1;
  return lvs_num(env, 0);
}

napi_value lvs_acceptor_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {{"acceptInit", js_accept_init},
                               {"acceptListen", js_accept_listen},
                               {"acceptClose", js_accept_close},
                               {"relayConnect", js_connect},
                               {"relayConnectAbort", js_connect_abort}};
  if (!lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0])) return NULL;
  napi_set_named_property(env, exports, "acceptRecWords", lvs_num(env, REC_WORDS));
  return exports;
}
