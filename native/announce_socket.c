/*
 * A send-only AF_PACKET socket for the proxy plane's VRRP announcements (gratuitous ARPs,
 * unsolicited neighbour adverts). It is opened once and kept, as keepalived keeps its GARP socket
 * (keepalived/vrrp/vrrp_arp.c gratuitous_arp_init()), because closing a packet socket waits for
 * an RCU grace period (net/packet/af_packet.c packet_release() calls synchronize_net()), tens of
 * milliseconds on a loaded host, during which the event loop of a brand-new MASTER would serve no
 * client. Protocol 0: no receive hook is registered (packet_create() only hooks a non-zero
 * protocol), so it costs nothing per received frame. Each frame is sent with sendto() to the
 * interface by name, its destination MAC and EtherType taken from its own Ethernet header.
 */
#include "napi_util.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* announceOpen() -> fd, or -errno. */
static napi_value js_announce_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return lvs_num(env, fd < 0 ? -errno : fd);
}

/* announceSend(fd, ifname, frames: Uint8Array[]) -> frames sent, or -errno (none sent). */
static napi_value js_announce_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char ifname[IF_NAMESIZE + 1];
  size_t len = 0;
  uint32_t count = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_value_string_utf8(env, argv[1], ifname, sizeof ifname, &len) != napi_ok ||
      napi_get_array_length(env, argv[2], &count) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "announceSend(fd, ifname, frames)");
    return NULL;
  }
  int64_t fd = lvs_int(env, argv[0]);
  if (fd < 0) return lvs_num(env, -EBADF);
  unsigned int index = if_nametoindex(ifname);
  if (index == 0) return lvs_num(env, -ENODEV);
  uint32_t sent = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value el;
    size_t flen;
    void *data;
    if (napi_get_element(env, argv[2], i, &el) != napi_ok || !lvs_typed(env, el, napi_uint8_array, &data, &flen) ||
        flen < ETH_HLEN)
      return lvs_num(env, sent ? (int64_t)sent : -EINVAL);
    const unsigned char *f = data;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)index;
    memcpy(&sll.sll_protocol, f + 12, 2); /* the frame's EtherType, already in network order */
    sll.sll_halen = ETH_ALEN;
    memcpy(sll.sll_addr, f, ETH_ALEN);
    if (sendto((int)fd, data, flen, 0, (struct sockaddr *)&sll, sizeof sll) < 0)
      return lvs_num(env, sent ? (int64_t)sent : -errno);
    sent++;
  }
  return lvs_num(env, sent);
}

napi_value lvs_announce_register(napi_env env, napi_value exports);

napi_value lvs_announce_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {{"announceOpen", js_announce_open}, {"announceSend", js_announce_send}};
  return lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0]);
}
