/**
 * UDP has one state, printed "UDP", with a 300 s timeout refreshed by every datagram in either
 * direction (ip_vs_proto_udp.c). UDP conns never become active.
 */

/** The only UDP state (IP_VS_UDP_S_NORMAL). */
export const UDP_S_NORMAL = 0;

/** State name the kernel prints for UDP conns. */
export const UDP_STATE_NAMES: readonly string[] = ['UDP'];

/** Default timeout in seconds (udp_timeouts[NORMAL]). */
export const UDP_DEFAULT_TIMEOUTS: readonly number[] = [300];
