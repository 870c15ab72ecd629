// The shared relay suite against the native relay (native/tcp_relay.c) with native accept
// (native/tcp_acceptor.c), the plane's default.
// Skips, saying why, only where the addon cannot be built.
import { test } from 'node:test';
import { loadRelayBinding } from '../../src/io/proxy/native-relay.js';
import { relaySuite } from './proxy-relay-suite.js';

process.env.LVS_PROXY_RELAY = 'native';
const b = loadRelayBinding();
if (b instanceof Error) test(`native relay suite skipped: ${b.message}`, { skip: b.message }, () => {});
else relaySuite('native');
