/*
 * N-API and libuv helpers shared by the addon's translation units (packet_socket.c,
 * icmp_socket.c, xdp_socket.c, bpf_sys.c, tcp_relay.c, poll_reader.c) and by the benchmark addon
 * (bench/packet_blast.c). Static inline so each unit keeps its own copy and either addon links
 * from independent objects; nothing here holds state.
 *
 * Conventions they encode (same as Node's udp_wrap): a syscall failure is returned to JS as a
 * -errno number, only a wrong handle type throws, and a failed N-API call returns NULL so the
 * pending exception (if any) reaches the caller.
 */
#ifndef LVS_NAPI_UTIL_H
#define LVS_NAPI_UTIL_H

#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Returns NULL from the calling N-API function when call does not succeed. */
#define CHECK(call)                                                                                 \
  do {                                                                                              \
    if ((call) != napi_ok) return NULL;                                                             \
  } while (0)

/* An integer result (count, 0 or -errno) as a JS number. */
static inline napi_value lvs_num(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

/* An integer argument, -1 when it is not a number (every caller's invalid value: no fd, size or
 * index is negative). */
static inline int64_t lvs_int(napi_env env, napi_value v) {
  int64_t x = -1;
  if (napi_get_value_int64(env, v, &x) != napi_ok) return -1;
  return x;
}

/* Parses argv for a handle method: the external handle first, then up to n-1 further values.
 * Returns the handle's data, or NULL (a TypeError naming `what` pending when argv[0] is not an
 * external). */
static inline void *lvs_handle_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv,
                                    const char *what) {
  size_t argc = n;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return NULL;
  }
  return p;
}

/* Wraps data in an external whose finalizer runs at GC; frees data and returns NULL on failure. */
static inline napi_value lvs_wrap_handle(napi_env env, void *data, napi_finalize fin) {
  napi_value out;
  if (napi_create_external(env, data, fin, NULL, &out) != napi_ok) {
    free(data);
    return NULL;
  }
  return out;
}

/* Views a typed array of the given element type: 1 with *data and *len (elements) set, else 0. */
static inline int lvs_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type t;
  return napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) == napi_ok && t == want;
}

/* Deletes a reference if set and clears it, so teardown may run more than once. */
static inline void lvs_drop_ref(napi_env env, napi_ref *r) {
  if (*r) napi_delete_reference(env, *r);
  *r = NULL;
}

/* Reports a pending JS exception thrown from a callback made outside JS (uv) as uncaught. */
static inline void lvs_fatal_pending(napi_env env) {
  napi_value e;
  napi_get_and_clear_last_exception(env, &e);
  napi_fatal_exception(env, e);
}

/* Adds each named function to exports; NULL when one cannot be created or set. */
typedef struct {
  const char *name;
  napi_callback fn;
} lvs_fn;

static inline napi_value lvs_register_fns(napi_env env, napi_value exports, const lvs_fn *fns, size_t n) {
  for (size_t i = 0; i < n; i++) {
    napi_value f;
    CHECK(napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f));
    CHECK(napi_set_named_property(env, exports, fns[i].name, f));
  }
  return exports;
}

#ifdef UV_VERSION_MAJOR
static inline void lvs_poll_closed(uv_handle_t *h) { free(h); }

/* Stops and closes *pp (freed once libuv is done with it) and clears it; no-op when unset. */
static inline void lvs_poll_stop(uv_poll_t **pp) {
  if (!*pp) return;
  uv_poll_stop(*pp);
  uv_close((uv_handle_t *)*pp, lvs_poll_closed);
  *pp = NULL;
}

/* lvs_poll_new's result when the event loop itself was unavailable (return NULL to JS). */
#define LVS_POLL_NAPI_FAILED 1

/* A heap uv_poll_t watching fd on this env's loop, with data set. Returns 0 (*out set),
 * -ENOMEM or a uv -errno to hand to JS, or LVS_POLL_NAPI_FAILED. */
static inline int lvs_poll_new(napi_env env, int fd, void *data, uv_poll_t **out) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return LVS_POLL_NAPI_FAILED;
  uv_poll_t *p = malloc(sizeof *p);
  if (!p) return -ENOMEM;
  int r = uv_poll_init(loop, p, fd);
  if (r < 0) {
    free(p);
    return r;
  }
  p->data = data;
  *out = p;
  return 0;
}

#endif

#endif
