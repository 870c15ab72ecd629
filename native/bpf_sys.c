/*
 * Raw bpf(2) for the AF_XDP path, without libbpf (see src/io/packet-socket/xdp-filter.ts): map
 * create/update/delete, BPF_PROG_LOAD of the hand-assembled filter (xdp_filter.c; the verifier's
 * log copied into a caller buffer), BPF_LINK_CREATE attach (the link dies with its fd, so the
 * program detaches by itself when lvsd exits) and BPF_PROG_TEST_RUN. Commands and attributes:
 * the kernel's include/uapi/linux/bpf.h and Documentation/userspace-api/ebpf/syscall.rst.
 *
 * As dumb as packet_socket.c: every failure is a -errno int; state, validation and errno ->
 * coded error live in TypeScript. Registered from packet_socket.c's init.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include "napi_util.h"
#include "xdp_filter.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof *a); }

static napi_value num_arg(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  for (size_t i = argc; i < n; i++) napi_get_undefined(env, &argv[i]);
  return argv[0];
}

/* bpfMapCreate(type, keySize, valueSize, maxEntries, name) -> fd | -errno */
static napi_value js_map_create(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!num_arg(env, info, 5, argv)) return NULL;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = (uint32_t)lvs_int(env, argv[0]);
  a.key_size = (uint32_t)lvs_int(env, argv[1]);
  a.value_size = (uint32_t)lvs_int(env, argv[2]);
  a.max_entries = (uint32_t)lvs_int(env, argv[3]);
  size_t len = 0;
  napi_get_value_string_utf8(env, argv[4], a.map_name, sizeof a.map_name, &len);
  long fd = sys_bpf(BPF_MAP_CREATE, &a);
  return lvs_num(env, fd < 0 ? -errno : fd);
}

/* One BPF_MAP_*_ELEM on argv[0] (map fd), argv[1] (key) and argv[2] (value): the shared body of
 * bpfMapUpdate, bpfMapUpdateFlags and bpfMapLookup. */
static napi_value map_elem(napi_env env, napi_value *argv, int cmd, uint64_t flags) {
  void *k, *v;
  size_t kl, vl;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &k, &kl) || !lvs_typed(env, argv[2], napi_uint8_array, &v, &vl))
    return lvs_num(env, -EINVAL);
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)lvs_int(env, argv[0]);
  a.key = (uint64_t)(uintptr_t)k;
  a.value = (uint64_t)(uintptr_t)v;
  a.flags = flags;
  return lvs_num(env, sys_bpf(cmd, &a) < 0 ? -errno : 0);
}

/* bpfMapUpdate(fd, key: Uint8Array, value: Uint8Array) -> 0 | -errno */
static napi_value js_map_update(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!num_arg(env, info, 3, argv)) return NULL;
  return map_elem(env, argv, BPF_MAP_UPDATE_ELEM, BPF_ANY);
}

/* bpfMapDelete(fd, key: Uint8Array) -> 0 | -errno */
static napi_value js_map_delete(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!num_arg(env, info, 2, argv)) return NULL;
  void *k;
  size_t kl;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &k, &kl)) return lvs_num(env, -EINVAL);
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)lvs_int(env, argv[0]);
  a.key = (uint64_t)(uintptr_t)k;
  return lvs_num(env, sys_bpf(BPF_MAP_DELETE_ELEM, &a) < 0 ? -errno : 0);
}

/* Loads the filter with these map fds (flow < 0: without the offload section); the prog fd or
 * -errno, the verifier's log (NUL-terminated) in `log` on failure. */
static napi_value filter_load(napi_env env, int xsk, int filter, int local, int flow, int dev, napi_value logv) {
  void *log = NULL;
  size_t loglen = 0;
  if (!lvs_typed(env, logv, napi_uint8_array, &log, &loglen)) return lvs_num(env, -EINVAL);
  struct bpf_insn *insns = malloc(sizeof *insns * LVS_XDP_FILTER_MAX_INSNS);
  if (!insns) return lvs_num(env, -ENOMEM);
  int n = lvs_xdp_filter_build(insns, xsk, filter, local, flow, dev);
  static const char license[] = "GPL";
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.insn_cnt = (uint32_t)n;
  a.insns = (uint64_t)(uintptr_t)insns;
  a.license = (uint64_t)(uintptr_t)license;
  a.expected_attach_type = BPF_XDP;
  strncpy(a.prog_name, "lvsd_xdp", sizeof a.prog_name - 1);
  if (loglen > 0) ((char *)log)[0] = 0;
  long fd = sys_bpf(BPF_PROG_LOAD, &a);
  if (fd < 0 && loglen > 1) {
    /* Again with the log on: only failures pay for it. */
    int e = errno;
    a.log_level = 1;
    a.log_size = (uint32_t)(loglen > 0xffffff ? 0xffffff : loglen);
    a.log_buf = (uint64_t)(uintptr_t)log;
    fd = sys_bpf(BPF_PROG_LOAD, &a);
    if (fd >= 0) close((int)fd);
    fd = -1;
    errno = e;
  }
  free(insns);
  return lvs_num(env, fd < 0 ? -errno : fd);
}

/* bpfXdpFilterLoad(xskMapFd, filterMapFd, localMapFd, log: Uint8Array) -> prog fd | -errno. */
static napi_value js_filter_load(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!num_arg(env, info, 4, argv)) return NULL;
  return filter_load(env, (int)lvs_int(env, argv[0]), (int)lvs_int(env, argv[1]), (int)lvs_int(env, argv[2]), -1,
                     -1, argv[3]);
}

/* bpfXdpOffloadLoad(xskMapFd, filterMapFd, localMapFd, flowMapFd, devMapFd, log) -> prog fd |
 * -errno: the filter with the flow-offload section (xdp_filter.c offload()). */
static napi_value js_offload_load(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!num_arg(env, info, 6, argv)) return NULL;
  int flow = (int)lvs_int(env, argv[3]);
  if (flow < 0) return lvs_num(env, -EBADF);
  return filter_load(env, (int)lvs_int(env, argv[0]), (int)lvs_int(env, argv[1]), (int)lvs_int(env, argv[2]), flow,
                     (int)lvs_int(env, argv[4]), argv[5]);
}

/* bpfMapUpdateFlags(fd, key, value, flags) -> 0 | -errno (BPF_NOEXIST: -EEXIST; a full hash: -E2BIG) */
static napi_value js_map_update_flags(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!num_arg(env, info, 4, argv)) return NULL;
  int64_t f = lvs_int(env, argv[3]);
  return map_elem(env, argv, BPF_MAP_UPDATE_ELEM, f < 0 ? BPF_ANY : (uint64_t)f);
}

/* bpfMapLookup(fd, key, value: Uint8Array out) -> 0 | -errno (-ENOENT: no such key) */
static napi_value js_map_lookup(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!num_arg(env, info, 3, argv)) return NULL;
  return map_elem(env, argv, BPF_MAP_LOOKUP_ELEM, 0);
}

/* bpfTestRunData(progFd, frame, out: Uint8Array, meta: Uint32Array) -> the program's return
 * value | -errno; the frame as the program left it is in `out`, its length in meta[0]. */
static napi_value js_test_run_data(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!num_arg(env, info, 4, argv)) return NULL;
  void *d, *o, *m;
  size_t dl, ol, ml;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &d, &dl) || !lvs_typed(env, argv[2], napi_uint8_array, &o, &ol) ||
      !lvs_typed(env, argv[3], napi_uint32_array, &m, &ml) || ml < 1)
    return lvs_num(env, -EINVAL);
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.test.prog_fd = (uint32_t)lvs_int(env, argv[0]);
  a.test.data_in = (uint64_t)(uintptr_t)d;
  a.test.data_size_in = (uint32_t)dl;
  a.test.data_out = (uint64_t)(uintptr_t)o;
  a.test.data_size_out = (uint32_t)ol;
  a.test.repeat = 1;
  if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0) return lvs_num(env, -errno);
  ((uint32_t *)m)[0] = a.test.data_size_out;
  return lvs_num(env, a.test.retval);
}

/* bpfXdpFilterInsns() -> instruction count of the filter (diagnostics). */
static napi_value js_filter_insns(napi_env env, napi_callback_info info) {
  (void)info;
  struct bpf_insn insns[LVS_XDP_FILTER_MAX_INSNS];
  return lvs_num(env, lvs_xdp_filter_build(insns, 0, 0, 0, -1, -1));
}

/* bpfLinkXdp(progFd, ifindex, flags) -> link fd | -errno. The link detaches when its fd closes. */
static napi_value js_link_xdp(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!num_arg(env, info, 3, argv)) return NULL;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)lvs_int(env, argv[0]);
  a.link_create.target_ifindex = (uint32_t)lvs_int(env, argv[1]);
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = (uint32_t)lvs_int(env, argv[2]);
  long fd = sys_bpf(BPF_LINK_CREATE, &a);
  return lvs_num(env, fd < 0 ? -errno : fd);
}

/* bpfTestRun(progFd, frame: Uint8Array) -> the program's return value | -errno */
static napi_value js_test_run(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!num_arg(env, info, 2, argv)) return NULL;
  void *d;
  size_t dl;
  if (!lvs_typed(env, argv[1], napi_uint8_array, &d, &dl)) return lvs_num(env, -EINVAL);
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.test.prog_fd = (uint32_t)lvs_int(env, argv[0]);
  a.test.data_in = (uint64_t)(uintptr_t)d;
  a.test.data_size_in = (uint32_t)dl;
  a.test.repeat = 1;
  if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0) return lvs_num(env, -errno);
  return lvs_num(env, a.test.retval);
}

/* bpfClose(fd) -> 0 | -errno */
static napi_value js_fd_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!num_arg(env, info, 1, argv)) return NULL;
  int64_t fd = lvs_int(env, argv[0]);
  if (fd < 0) return lvs_num(env, -EBADF);
  return lvs_num(env, close((int)fd) < 0 ? -errno : 0);
}

/* Adds the bpf* functions to the addon's exports (the xdpAbiVersion contract covers them). */
napi_value lvs_bpf_register(napi_env env, napi_value exports);

napi_value lvs_bpf_register(napi_env env, napi_value exports) {
  static const lvs_fn fns[] = {
      {"bpfMapCreate", js_map_create},
      {"bpfMapUpdate", js_map_update},
      {"bpfMapDelete", js_map_delete},
      {"bpfXdpFilterLoad", js_filter_load},
      {"bpfXdpOffloadLoad", js_offload_load},
      {"bpfMapUpdateFlags", js_map_update_flags},
      {"bpfMapLookup", js_map_lookup},
      {"bpfTestRunData", js_test_run_data},
      {"bpfXdpFilterInsns", js_filter_insns},
      {"bpfLinkXdp", js_link_xdp},
      {"bpfTestRun", js_test_run},
      {"bpfClose", js_fd_close},
  };
  return lvs_register_fns(env, exports, fns, sizeof fns / sizeof fns[0]);
}
