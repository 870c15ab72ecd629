/** Pure packet codecs, checksums, the one-parse Flow and in-place rewrites (architecture.md habits 3-4). */
export * from './arp.js';
export * from './bytes.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './flow.js';
export * from './gre.js';
export * from './gue.js';
export * from './icmp.js';
export * from './icmpv6.js';
export * from './ipip.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './pcap.js';
export * from './rewrite.js';
export * from './tcp.js';
export * from './tcp-options.js';
export * from './udp.js';
