/**
 * Connection sync through a VRRP takeover, NAT (root only): 50 long-lived connections and a 100 MB
 * download kept with lvs_sync_daemon, lost without. The runs are in test/helpers/sync-failover-suite.ts.
 */
import { describeSyncFailover } from '../helpers/sync-failover-suite.js';

describeSyncFailover('NAT');
