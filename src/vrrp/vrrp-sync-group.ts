/**
 * A `vrrp_sync_group` coordinator: its members go MASTER together, BACKUP together, and a FAULT of
 * one faults all (keepalived/vrrp/vrrp_sync.c vrrp_sync_master(), vrrp_sync_backup(),
 * vrrp_sync_fault()). Pure: it turns member actions and fault reports into events for members.
 */
import type { VrrpAction, VrrpEvent, VrrpState } from './vrrp-instance-types.js';

/** An event to deliver to one member instance. */
export interface VrrpMemberEvent {
  readonly member: string;
  readonly event: VrrpEvent;
}

/** Coordinates the instances named in one sync group. */
export class VrrpSyncGroup {
  readonly #states = new Map<string, VrrpState>();
  readonly #wantMaster = new Set<string>();
  readonly #ownFault = new Set<string>();
  readonly #forced = new Set<string>();

  constructor(
    readonly name: string,
    readonly members: readonly string[],
  ) {
    for (const m of members) this.#states.set(m, 'INIT');
  }

  /** The group's state: FAULT if a member is faulty, MASTER if all are, else BACKUP (INIT before start). */
  get state(): VrrpState {
    if (this.#ownFault.size > 0) return 'FAULT';
    const s = [...this.#states.values()];
    if (s.every((x) => x === 'INIT')) return 'INIT';
    return s.every((x) => x === 'MASTER') ? 'MASTER' : 'BACKUP';
  }

  /**
   * A member's own fault changed (its trackers or interface): the member gets the fault event and,
   * while any member is faulty, every other member is held in FAULT; when the last fault clears the
   * held members are released to BACKUP.
   */
  setFault(member: string, on: boolean): VrrpMemberEvent[] {
    const out: VrrpMemberEvent[] = [];
    if (on) this.#ownFault.add(member);
    else this.#ownFault.delete(member);
    this.#wantMaster.clear();
    // A member whose own fault clears stays held while others are faulty; hold it before clearing
    // its own fault so it never passes through BACKUP.
    if (!on && this.#ownFault.size > 0 && !this.#forced.has(member)) {
      this.#forced.add(member);
      out.push({ member, event: { type: 'group', state: 'FAULT' } });
    }
    out.push({ member, event: { type: 'fault', on } });
    if (this.#ownFault.size > 0) {
      for (const m of this.members)
        if (!this.#ownFault.has(m) && !this.#forced.has(m)) {
          this.#forced.add(m);
          out.push({ member: m, event: { type: 'group', state: 'FAULT' } });
        }
    } else {
      for (const m of this.#forced) out.push({ member: m, event: { type: 'group', state: 'BACKUP' } });
      this.#forced.clear();
    }
    return out;
  }

  /** Feeds one action a member returned; returns the events the other members (or it) must get. */
  onAction(member: string, action: VrrpAction): VrrpMemberEvent[] {
    if (action.type === 'state') {
      this.#states.set(member, action.to);
      if (action.from === 'MASTER' && action.to === 'BACKUP') {
        // One member saw a better master: all go BACKUP (vrrp_sync_backup()).
        this.#wantMaster.clear();
        return this.members
          .filter((m) => m !== member && this.#states.get(m) === 'MASTER')
          .map((m) => ({ member: m, event: { type: 'group', state: 'BACKUP' } }));
      }
      return [];
    }
    if (action.type !== 'want-master' || this.#ownFault.size > 0) return [];
    this.#wantMaster.add(member);
    // Only go MASTER when every member wants it, to avoid thrashing (vrrp_sync_can_goto_master()).
    if (!this.members.every((m) => this.#wantMaster.has(m) || this.#states.get(m) === 'MASTER')) return [];
    this.#wantMaster.clear();
    return this.members
      .filter((m) => this.#states.get(m) === 'BACKUP')
      .map((m) => ({ member: m, event: { type: 'group', state: 'MASTER' } }));
  }
}
