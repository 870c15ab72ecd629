// The shared relay suite against the JavaScript relay (LVS_PROXY_RELAY=js), the fallback when
// the addon is missing: both relays must behave alike.
import { relaySuite } from './proxy-relay-suite.js';

process.env.LVS_PROXY_RELAY = 'js';
relaySuite('js');
