/** The pure VRRP layer: advert codec, receive checks, state machine, tracking, sync groups, config binding. */

export * from './fake-vrrp-transport.js';
export * from './vrrp-config.js';
export * from './vrrp-error.js';
export * from './vrrp-instance.js';
export * from './vrrp-instance-types.js';
export * from './vrrp-notify.js';
export * from './vrrp-packet.js';
export * from './vrrp-receive.js';
export * from './vrrp-sync-group.js';
export * from './vrrp-timers.js';
export * from './vrrp-track.js';
export * from './vrrp-transport.js';
