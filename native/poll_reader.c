/*
 * The shared receive side of the addon's sockets: see poll_reader.h.
 */
#define _GNU_SOURCE
#include "poll_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

void lvs_reader_init(lvs_reader *r, napi_env env, void *sock, const lvs_reader_ops *ops, const int *fd) {
  r->env = env;
  r->sock = sock;
  r->ops = ops;
  r->fd = fd;
}

int lvs_reader_watch(lvs_reader *r, napi_value buf, napi_value cb, const char *name, int unref, uv_poll_t **out) {
  napi_env env = r->env;
  uv_poll_t *p;
  int rc = lvs_poll_new(env, *r->fd, r, &p);
  if (rc != 0) return rc;
  if (unref) uv_unref((uv_handle_t *)p);
  napi_value id;
  lvs_drop_ref(env, &r->buf_ref);
  lvs_drop_ref(env, &r->cb_ref);
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &id) != napi_ok ||
      (!r->actx && napi_async_init(env, NULL, id, &r->actx) != napi_ok) ||
      napi_create_reference(env, buf, 1, &r->buf_ref) != napi_ok ||
      napi_create_reference(env, cb, 1, &r->cb_ref) != napi_ok) {
    uv_close((uv_handle_t *)p, lvs_poll_closed);
    return LVS_POLL_NAPI_FAILED;
  }
  *out = p;
  return 0;
}

napi_value lvs_reader_begin(lvs_reader *r, uv_poll_t *p, uv_poll_cb on_readable) {
  r->poll = p;
  int rc = uv_poll_start(p, UV_READABLE, on_readable);
  if (rc < 0) lvs_poll_stop(&r->poll);
  return lvs_num(r->env, rc < 0 ? rc : 0);
}

/* Calls cb(count, err). For a batch (`batch` set) in_cb is set meanwhile, so a close() from
 * inside the callback waits until the batch's buffers are back. */
static napi_status call_js(lvs_reader *r, uint32_t count, int err, int from_uv, int batch) {
  napi_env env = r->env;
  napi_value cb = NULL, recv, argv[2], ret;
  napi_status st = r->cb_ref ? napi_get_reference_value(env, r->cb_ref, &cb) : napi_invalid_arg;
  if (st != napi_ok || !cb) return st;
  napi_get_global(env, &recv);
  argv[0] = lvs_num(env, count);
  argv[1] = lvs_num(env, err);
  if (batch) r->in_cb = 1;
  st = from_uv ? napi_make_callback(env, r->actx, recv, cb, 2, argv, &ret)
               : napi_call_function(env, recv, cb, 2, argv, &ret);
  if (batch) r->in_cb = 0;
  return st;
}

int64_t lvs_reader_drain(lvs_reader *r, int from_uv) {
  int64_t total = 0;
  for (uint32_t round = 0; round < r->max_rounds && !r->close_pending && (!from_uv || r->poll); round++) {
    uint32_t n;
    if (!r->ops->collect(r->sock, &n)) break;
    napi_status st = call_js(r, n, 0, from_uv, 1);
    if (r->ops->release) r->ops->release(r->sock);
    total += n;
    if (st == napi_pending_exception) {
      if (from_uv) lvs_fatal_pending(r->env);
      total = -1;
      break;
    }
  }
  if (r->close_pending) {
    r->close_pending = 0;
    r->ops->teardown(r->sock);
  }
  return total;
}

/*
 * After a readable event that yielded no frames (`got` 0) or a poll error (`status` < 0): a
 * readable fd with an empty ring means a pending socket error (e.g. ENETDOWN), and reading
 * SO_ERROR clears it (socket(7)), otherwise level-triggered polling would spin. A found error
 * goes to the JS callback as cb(0, -errno). Needs an open handle scope.
 */
static void report_poll_error(lvs_reader *r, int status, int64_t got) {
  int fd = *r->fd;
  int err = status < 0 ? -status : 0;
  if (got == 0 && err == 0 && fd >= 0) {
    socklen_t l = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) err = errno;
  }
  if (!err || !r->cb_ref) return;
  if (call_js(r, 0, -err, 1, 0) == napi_pending_exception) lvs_fatal_pending(r->env);
}

/*
 * libuv reports POLLERR on a watched fd as status UV_EBADF and stops the handle (uv__poll_io in
 * src/unix/poll.c). On these sockets POLLERR means a pending socket error, not a bad fd: a
 * packet socket whose link goes down gets sk_err = ENETDOWN (net/packet/af_packet.c
 * packet_notifier, NETDEV_DOWN) and is hooked in again when the link comes back (NETDEV_UP).
 * Reading SO_ERROR clears the error (socket(7)); with one found, watch again so frames flow after
 * the link returns, and report the real errno. Returns the status to report.
 */
static int rewatch_after_pollerr(lvs_reader *r, uv_poll_t *p, int status) {
  int fd = *r->fd;
  if (status != UV_EBADF || fd < 0 || r->poll != p) return status;
  int err = 0;
  socklen_t l = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err == 0) return status;
  if (uv_poll_start(p, UV_READABLE, lvs_reader_on_readable) < 0) return status;
  return -err;
}

void lvs_reader_on_readable(uv_poll_t *p, int status, int events) {
  (void)events;
  lvs_reader *r = p->data;
  status = rewatch_after_pollerr(r, p, status);
  napi_handle_scope scope;
  napi_open_handle_scope(r->env, &scope);
  int64_t got = status < 0 ? 0 : lvs_reader_drain(r, 1);
  report_poll_error(r, status, got);
  napi_close_handle_scope(r->env, scope);
}

napi_value lvs_reader_drain_js(lvs_reader *r) {
  if (*r->fd < 0 || !r->cb_ref) return lvs_num(r->env, -EBADF);
  if (r->in_cb) return lvs_num(r->env, -EBUSY);
  int64_t n = lvs_reader_drain(r, 0);
  return n < 0 ? NULL : lvs_num(r->env, n);
}

napi_value lvs_reader_close_js(lvs_reader *r) {
  if (r->in_cb)
    r->close_pending = 1;
  else
    r->ops->teardown(r->sock);
  return lvs_num(r->env, 0);
}

void lvs_reader_release(lvs_reader *r) {
  lvs_poll_stop(&r->poll);
  lvs_drop_ref(r->env, &r->buf_ref);
  lvs_drop_ref(r->env, &r->cb_ref);
  if (r->actx) napi_async_destroy(r->env, r->actx);
  r->actx = NULL;
}
