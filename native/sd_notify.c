/*
 * sd_notify(3) without libsystemd: one datagram on the AF_UNIX socket named by $NOTIFY_SOCKET.
 * Node's dgram has no AF_UNIX datagram sockets, and the path may be in the abstract namespace
 * ('@' prefix, sent as a leading NUL byte), so the addon sends it. The protocol is systemd's
 * src/libsystemd/sd-daemon/sd-daemon.c pid_notify_with_fds(): a SOCK_DGRAM socket, sendmsg() of
 * the newline-separated assignments to the path, no reply. Credentials go along implicitly
 * (SO_PASSCRED on the receiving end), so systemd attributes the message to this process.
 */
#include "napi_util.h"

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* sdNotify(path, message) -> bytes sent, or -errno (-EINVAL for a path that is not absolute,
 * not abstract or too long). */
static napi_value js_sd_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[256]; /* longer than sun_path, so an over-long name is seen, not truncated */
  size_t plen = 0;
  size_t mlen = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &plen) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], NULL, 0, &mlen) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "sdNotify(path, message)");
    return NULL;
  }
  /* sd-daemon.c accepts an absolute path or '@abstract'; anything else is EINVAL there too. */
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (plen < 2 || plen > sizeof sa.sun_path || (path[0] != '/' && path[0] != '@')) return lvs_num(env, -EINVAL);
  memcpy(sa.sun_path, path, plen);
  if (sa.sun_path[0] == '@') sa.sun_path[0] = 0;
  /* An abstract name's length is exact (no terminating NUL); a path's may carry one. */
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);

  char *msg = malloc(mlen + 1);
  if (!msg) return lvs_num(env, -ENOMEM);
  if (napi_get_value_string_utf8(env, argv[1], msg, mlen + 1, &mlen) != napi_ok) {
    free(msg);
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    free(msg);
    return lvs_num(env, -e);
  }
  ssize_t n = sendto(fd, msg, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  int e = n < 0 ? errno : 0;
  close(fd);
  free(msg);
  return lvs_num(env, n < 0 ? -e : n);
}

napi_value lvs_sd_notify_register(napi_env env, napi_value exports);

napi_value lvs_sd_notify_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {{"sdNotify", js_sd_notify}};
  return lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0]);
}
