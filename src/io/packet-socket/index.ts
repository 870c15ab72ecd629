/** The AF_PACKET data-plane driver: the socket wrapper, its errors and the addon loader. */
export {
  loadPacketAddon,
  PACKET_ADDON_ABI,
  type PacketBinding,
  packetAddonUnavailableReason,
} from './addon.js';
export {
  errnoName,
  PacketSocketError,
  type PacketSocketErrorCode,
  PacketSystemError,
  XdpError,
  type XdpErrorCode,
} from './errors.js';
export {
  FANOUT_MODES,
  type FanoutMode,
  type FanoutOptions,
  PacketSocket,
  type PacketSocketOptions,
  PacketSocketState,
  type PacketStats,
} from './packet-socket.js';
export { loadXdpBinding, XDP_ACTION, type XdpBinding } from './xdp-binding.js';
export { filterEntries, filterRedirects } from './xdp-filter-keys.js';
export { type XdpAttachMode, XdpProgram } from './xdp-program.js';
export { XdpSocket, type XdpSocketStats } from './xdp-socket.js';
