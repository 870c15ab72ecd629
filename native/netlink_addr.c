/*
 * Interface addresses through rtnetlink for the proxy plane's VRRP VIPs: one RTM_NEWADDR or
 * RTM_DELADDR request, answered synchronously by the kernel's ack (NLM_F_ACK), so a MASTER's
 * address is on the interface when the call returns, before its first gratuitous ARP, without
 * spawning `ip` (tens of milliseconds on a loaded host). The request carries what keepalived's
 * keepalived/vrrp/vrrp_ipaddress.c netlink_ipaddress() sends, in the form iproute2's
 * ip/ipaddress.c ipaddr_modify() gives it for `ip addr add|del ADDR/PREFIX dev DEV [label L]
 * [scope S] [nodad preferred_lft 0]`: IFA_LOCAL and IFA_ADDRESS (no peer), IFA_LABEL, the scope,
 * IFA_F_NODAD in ifa_flags and IFA_CACHEINFO with ifa_prefered 0 and an infinite ifa_valid, and
 * NLM_F_CREATE|NLM_F_EXCL on add so an address already present fails with EEXIST (as `ip addr
 * add` does) instead of being silently taken over.
 */
#include "napi_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef INFINITY_LIFE_TIME
#define INFINITY_LIFE_TIME 0xFFFFFFFFU /* iproute2 ip/ipaddress.c, kernel net/ipv6/addrconf.c */
#endif

typedef struct {
  struct nlmsghdr n;
  struct ifaddrmsg ifa;
  char buf[256];
} addr_req;

/* Appends attribute `type` with `len` bytes of `data`; 0, or -EMSGSIZE when it does not fit. */
static int add_attr(addr_req *r, unsigned short type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(r->n.nlmsg_len);
  size_t alen = RTA_LENGTH(len);
  if (at + RTA_ALIGN(alen) > sizeof *r) return -EMSGSIZE;
  struct rtattr *rta = (struct rtattr *)((char *)r + at);
  rta->rta_type = type;
  rta->rta_len = (unsigned short)alen;
  if (len > 0) memcpy(RTA_DATA(rta), data, len);
  r->n.nlmsg_len = (uint32_t)(at + RTA_ALIGN(alen));
  return 0;
}

/* Sends `r` and waits for the kernel's ack: 0, or -errno (the request's error or the socket's). */
static int talk(addr_req *r) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  /* The kernel acks before sendmsg returns (rtnetlink runs the request in the sender's context);
   * the timeout only bounds a kernel that never answers. */
  struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  r->n.nlmsg_seq = 1;
  int ret = -EIO;
  if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    ret = -errno;
    goto out;
  }
  for (;;) {
    char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      ret = -errno;
      goto out;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != r->n.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) goto out;
        const struct nlmsgerr *e = (const struct nlmsgerr *)NLMSG_DATA(h);
        ret = e->error; /* 0 is the ack, else -errno */
        goto out;
      }
    }
  }
out:
  close(fd);
  return ret;
}

/*
 * netlinkAddress(add 0|1, af 4|6, ifname, addr, prefix, scope, label, flags, preferredLft)
 *   -> 0 or -errno.
 * `scope` -1 leaves the kernel's default (0, RT_SCOPE_UNIVERSE); `label` "" sends none; `flags`
 * are IFA_F_* for ifa_flags (IFA_F_NODAD); `preferredLft` -1 sends no IFA_CACHEINFO, else that
 * preferred lifetime with an infinite valid one. Bad arguments give -EINVAL, an unknown interface
 * -ENODEV (as the kernel gives for an index it does not know).
 */
static napi_value js_netlink_address(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  char ifname[IF_NAMESIZE + 1];
  char addr[64];
  char label[IF_NAMESIZE + 1];
  size_t len = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9 || napi_get_value_string_utf8(env, argv[2], ifname, sizeof ifname, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[3], addr, sizeof addr, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[6], label, sizeof label, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "netlinkAddress(add, af, ifname, addr, prefix, scope, label, flags, preferredLft)");
    return NULL;
  }
  /* A label of IFNAMSIZ bytes or more cannot be stored (the kernel's ifa_label[IFNAMSIZ]). */
  if (len >= IFNAMSIZ) return lvs_num(env, -EINVAL);
  int64_t add = lvs_int(env, argv[0]);
  int64_t af = lvs_int(env, argv[1]);
  int64_t prefix = lvs_int(env, argv[4]);
  int64_t scope = -1;
  int64_t preferred = -1;
  napi_get_value_int64(env, argv[5], &scope);
  int64_t flags = lvs_int(env, argv[7]);
  napi_get_value_int64(env, argv[8], &preferred);
  if ((add != 0 && add != 1) || (af != 4 && af != 6) || prefix < 0 || prefix > (af == 4 ? 32 : 128) ||
      scope < -1 || scope > 255 || flags < 0 || flags > 255 || preferred < -1 || preferred > 0xFFFFFFFFLL)
    return lvs_num(env, -EINVAL);
  unsigned char bytes[16];
  size_t blen = af == 4 ? 4 : 16;
  if (inet_pton(af == 4 ? AF_INET : AF_INET6, addr, bytes) != 1) return lvs_num(env, -EINVAL);
  unsigned int index = if_nametoindex(ifname);
  if (index == 0) return lvs_num(env, -ENODEV);

  addr_req r;
  memset(&r, 0, sizeof r);
  r.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  r.n.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  r.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  r.ifa.ifa_family = af == 4 ? AF_INET : AF_INET6;
  r.ifa.ifa_prefixlen = (unsigned char)prefix;
  r.ifa.ifa_index = index;
  if (scope >= 0) r.ifa.ifa_scope = (unsigned char)scope;
  if (add) r.ifa.ifa_flags = (unsigned char)flags;
  int err = add_attr(&r, IFA_LOCAL, bytes, blen);
  if (!err) err = add_attr(&r, IFA_ADDRESS, bytes, blen);
  if (!err && add && label[0] != '\0') err = add_attr(&r, IFA_LABEL, label, strlen(label) + 1);
  if (!err && add && preferred >= 0) {
    struct ifa_cacheinfo ci;
    memset(&ci, 0, sizeof ci);
    ci.ifa_prefered = (uint32_t)preferred;
    ci.ifa_valid = INFINITY_LIFE_TIME;
    err = add_attr(&r, IFA_CACHEINFO, &ci, sizeof ci);
  }
  if (err) return lvs_num(env, err);
  return lvs_num(env, talk(&r));
}

/* netlinkIfIndex(ifname) -> the interface's index, or 0 when there is none (if_nametoindex(3)). */
static napi_value js_netlink_if_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char ifname[IF_NAMESIZE + 1];
  size_t len = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "netlinkIfIndex(ifname)");
    return NULL;
  }
  /* A name of IFNAMSIZ bytes or more names no interface (and was cut above). */
  if (len >= IFNAMSIZ) return lvs_num(env, 0);
  return lvs_num(env, if_nametoindex(ifname));
}

/*
 * netlinkDumpAddrs(out: Uint8Array) -> bytes written, or -errno (-EMSGSIZE when `out` is too
 * small). One RTM_GETADDR dump of every family, as `ip addr show` asks for it (iproute2
 * lib/libnetlink.c rtnl_addrdump_req()): the kernel's RTM_NEWADDR messages copied as they came,
 * NLMSG_DONE left out. Unlike getifaddrs(3) as libuv filters it, this lists the addresses of
 * links that are up without carrier, and of links that are down.
 */
static napi_value js_netlink_dump_addrs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *out = NULL;
  size_t cap = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !lvs_typed(env, argv[0], napi_uint8_array, &out, &cap)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "netlinkDumpAddrs(out: Uint8Array)");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return lvs_num(env, -errno);
  struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct {
    struct nlmsghdr n;
    struct ifaddrmsg ifa;
  } req;
  memset(&req, 0, sizeof req);
  req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  req.n.nlmsg_type = RTM_GETADDR;
  req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.n.nlmsg_seq = 1;
  req.ifa.ifa_family = AF_UNSPEC;
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  int64_t ret = 0;
  size_t used = 0;
  /* A dump message is at most 32 KiB (netlink_dump() sizes its skb to the reader's buffer up to
   * that), so a buffer of 64 KiB never cuts one. */
  size_t bufsize = 65536;
  char *buf = malloc(bufsize);
  if (buf == NULL) {
    close(fd);
    return lvs_num(env, -ENOMEM);
  }
  if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    ret = -errno;
    goto out;
  }
  for (;;) {
    ssize_t n = recv(fd, buf, bufsize, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      ret = -errno;
      goto out;
    }
    if (n == 0) {
      ret = -EIO;
      goto out;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != req.n.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) {
        ret = (int64_t)used;
        goto out;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = (const struct nlmsgerr *)NLMSG_DATA(h);
        ret = h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) && e->error < 0 ? e->error : -EIO;
        goto out;
      }
      if (h->nlmsg_type != RTM_NEWADDR) continue;
      size_t len = NLMSG_ALIGN(h->nlmsg_len);
      if (len > (size_t)n) len = h->nlmsg_len;
      if (used + len > cap) {
        ret = -EMSGSIZE;
        goto out;
      }
      memcpy((char *)out + used, h, len);
      used += len;
    }
  }
out:
  free(buf);
  close(fd);
  return lvs_num(env, ret);
}

napi_value lvs_netlink_addr_register(napi_env env, napi_value exports);

napi_value lvs_netlink_addr_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {
      {"netlinkAddress", js_netlink_address},
      {"netlinkIfIndex", js_netlink_if_index},
      {"netlinkDumpAddrs", js_netlink_dump_addrs},
  };
  return lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0]);
}
