/*
 * A TCP or UDP socket bound with IP_FREEBIND (ip(7)) for the proxy plane: a service on a VRRP
 * VIP is configured while this director is BACKUP, before the address is on any interface, and
 * must accept connections the moment the MASTER transition adds it (keepalived setups rely on the
 * same option, or on net.ipv4.ip_nonlocal_bind, for their listeners on VIPs). Node's net and
 * dgram cannot set a socket option before bind, so the addon creates and binds the socket and
 * returns its descriptor; JS hands it to the libuv handle (TCP open(fd), dgram bind({fd})),
 * which listens or reads on it as on any socket of its own.
 */
#include "napi_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78 /* linux/in6.h, Linux 4.15 */
#endif

/* freebindSocket(af 4|6, udp 0|1, addr, port) -> fd, or -errno. */
static napi_value js_freebind_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char addr[64];
  size_t len = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || napi_get_value_string_utf8(env, argv[2], addr, sizeof addr, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "freebindSocket(af, udp, addr, port)");
    return NULL;
  }
  int64_t af = lvs_int(env, argv[0]);
  int64_t udp = lvs_int(env, argv[1]);
  int64_t port = lvs_int(env, argv[3]);
  if ((af != 4 && af != 6) || (udp != 0 && udp != 1) || port < 0 || port > 65535) return lvs_num(env, -EINVAL);
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (af == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) return lvs_num(env, -EINVAL);
    sl = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) return lvs_num(env, -EINVAL);
    sl = sizeof *s6;
  }
  int fd = socket(af == 4 ? AF_INET : AF_INET6, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return lvs_num(env, -errno);
  int one = 1;
  int err = 0;
  /* libuv sets SO_REUSEADDR on every TCP bind (uv__tcp_bind); do the same so restarts rebind. */
  if (!udp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) err = errno;
  if (!err && af == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) err = errno;
  if (!err && af == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one) < 0) {
    /* Before Linux 4.15 the IPv4 option sets the same flag on an IPv6 socket. */
    if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one) < 0) err = errno;
  }
  if (!err && af == 4 && setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one) < 0) err = errno;
  if (!err && bind(fd, (struct sockaddr *)&ss, sl) < 0) err = errno;
  if (err) {
    close(fd);
    return lvs_num(env, -err);
  }
  return lvs_num(env, fd);
}

napi_value lvs_freebind_register(napi_env env, napi_value exports);

napi_value lvs_freebind_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {{"freebindSocket", js_freebind_socket}};
  return lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0]);
}
