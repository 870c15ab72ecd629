/** Why a VRRP test in network namespaces cannot run here, shared by the e2e and io suites. */
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { netnsSkipReason } from './netns.js';

/** Why namespaces with VRRP sockets cannot be used here (not root, no `ip`, no VRRP addon), or undefined. */
export function vrrpNetnsSkipReason(): string | undefined {
  const n = netnsSkipReason();
  if (n) return n;
  try {
    loadVrrpBinding();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
