/**
 * `use_vmac` is refused with the packet data plane. The engine answers ARP and neighbour
 * solicitations and accepts frames with the MAC of the interface it is bound to; the VIPs of a
 * use_vmac instance belong to another MAC (00:00:5e:00:01:VRID), so the engine would have to
 * answer with it and accept frames to it, and the macvlan keepalived makes would receive those
 * frames beside it. Rather than claim VRRP MAC takeover it does not do, lvsd refuses the
 * configuration with the packet plane (ERR_CONFIG_CONFLICT at the `vrrp_instance`). Pure.
 */
import { ConfigDiagnostic } from '../../config/diagnostics.js';
import type { LvsModel } from '../../config/model.js';

/** One error per use_vmac instance, for `lvsd --dataplane packet --config`. */
export function packetPlaneVmacConflicts(model: LvsModel): ConfigDiagnostic[] {
  return model.vrrp.instances
    .filter((vi) => vi.useVmac)
    .map(
      (vi) =>
        new ConfigDiagnostic(
          'fatal',
          'ERR_CONFIG_CONFLICT',
          `(${vi.name}) use_vmac is not supported by the packet data plane; run lvsd --dataplane proxy, or remove use_vmac`,
          vi.file,
          vi.line,
        ),
    );
}
