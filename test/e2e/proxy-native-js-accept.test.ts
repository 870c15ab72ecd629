// The shared relay suite against the native relay fed by JS accept (LVS_PROXY_ACCEPT=js): libuv
// accepts and connects, then hands both fds to native/tcp_relay.c. The path native accept
// replaced by default; kept working for A/B and as the fallback of a build without it.
import { test } from 'node:test';
import { loadRelayBinding } from '../../src/io/proxy/native-relay.js';
import { relaySuite } from './proxy-relay-suite.js';

process.env.LVS_PROXY_RELAY = 'native';
process.env.LVS_PROXY_ACCEPT = 'js';
const b = loadRelayBinding();
if (b instanceof Error) test(`native relay suite skipped: ${b.message}`, { skip: b.message }, () => {});
else relaySuite('native', 'js');
