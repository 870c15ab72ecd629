/*
 * The receive side the addon's sockets share (packet_socket.c, xdp_socket.c, icmp_socket.c): a
 * uv_poll_t on the socket's fd in Node's loop, the drain loop that hands each ready batch to ONE
 * JS callback cb(count, err), and a close() requested from inside that callback deferred until
 * it returned (the batch's buffers are still the kernel's to get back). Each socket embeds an
 * lvs_reader and supplies the ring-specific steps as lvs_reader_ops.
 *
 * Why a uv_poll_t and not a thread: readiness comes from the kernel's poll on the fd (packet(7)
 * for TPACKET rings, Documentation/networking/af_xdp.rst for XSK rings), so the batch runs on
 * Node's own thread, where JS may touch the frames in place with no locking.
 */
#ifndef LVS_POLL_READER_H
#define LVS_POLL_READER_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include "napi_util.h"

#include <stdint.h>

/* The socket-specific steps of the drain loop; sock is lvs_reader.sock. */
typedef struct lvs_reader_ops {
  /* Takes the next batch into the records JS reads: 1 with *frames set, or 0 when nothing is
   * ready or the socket's ring is gone. */
  int (*collect)(void *sock, uint32_t *frames);
  /* Hands the batch's buffers back to the kernel once the callback returned; may be NULL. */
  void (*release)(void *sock);
  /* Closes the socket and everything it holds (the deferred close lands here). */
  void (*teardown)(void *sock);
} lvs_reader_ops;

typedef struct lvs_reader {
  napi_env env;
  void *sock;
  const lvs_reader_ops *ops;
  const int *fd; /* the socket's fd, -1 once closed */
  uv_poll_t *poll;
  napi_ref buf_ref, cb_ref; /* the records buffer and cb, alive while reading */
  napi_async_context actx;
  uint32_t max_rounds; /* batches per wakeup before yielding to the loop */
  int in_cb, close_pending;
} lvs_reader;

/* Sets up r for sock (no poll yet); its fields are otherwise zero. */
void lvs_reader_init(lvs_reader *r, napi_env env, void *sock, const lvs_reader_ops *ops, const int *fd);

/*
 * First half of readStart: a poll on the fd (unref'd when unref is set, so it does not keep the
 * loop alive), the async context named `name`, and references to buf and cb (replacing older
 * ones). Returns 0 with *out set, a -errno for JS, or LVS_POLL_NAPI_FAILED (return NULL to JS).
 * The caller then points its records at buf and calls lvs_reader_begin.
 */
int lvs_reader_watch(lvs_reader *r, napi_value buf, napi_value cb, const char *name, int unref, uv_poll_t **out);

/* Second half of readStart: starts p (from lvs_reader_watch) with on_readable; 0 or -errno for JS. */
napi_value lvs_reader_begin(lvs_reader *r, uv_poll_t *p, uv_poll_cb on_readable);

/*
 * Delivers ready batches, at most max_rounds, one callback each. from_uv selects
 * napi_make_callback (runs the nextTick queue afterwards) over a plain call from inside JS. Stops
 * early when the callback closed the socket or (from uv) stopped reading; runs a deferred close.
 * Returns frames, or -1 when the callback threw (the exception is left pending for a JS caller,
 * reported as uncaught otherwise).
 */
int64_t lvs_reader_drain(lvs_reader *r, int from_uv);

/* A uv_poll_cb for rings: drains, then reports a poll error or pending socket error as
 * cb(0, -errno). Needs p->data == the reader (lvs_reader_watch does that). */
void lvs_reader_on_readable(uv_poll_t *p, int status, int events);

/* drain(h) for JS: frames delivered synchronously through the callback, or -errno. */
napi_value lvs_reader_drain_js(lvs_reader *r);

/* close(h) for JS: tears the socket down now, or after the callback when called from inside it. */
napi_value lvs_reader_close_js(lvs_reader *r);

/* The reader's part of a teardown: stops the poll, drops the references and the async context. */
void lvs_reader_release(lvs_reader *r);

#endif
