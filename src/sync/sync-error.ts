/**
 * Why a backup drops a sync datagram or one entry of it: one stable code per reason the kernel's
 * receive path (net/netfilter/ipvs/ip_vs_sync.c ip_vs_process_message(),
 * ip_vs_process_message_v0(), ip_vs_proc_sync_conn() and the option helpers it calls) gives up,
 * so the counters and tests name the kernel's case rather than a message text.
 */

/** Stable codes of the backup's receive path; tests and counters check these. */
export const SYNC_RX = {
  // Whole datagram ignored (ip_vs_process_message()).
  /** Shorter than the 4-byte version 0 header ("message header too short"). */
  TOO_SHORT: 'SYNC_RX_TOO_SHORT',
  /** The header's size differs from the datagram's length ("bogus message size"). */
  BAD_SIZE: 'SYNC_RX_BAD_SIZE',
  /** Another syncid while ours is non-zero ("Ignoring syncid"). */
  WRONG_SYNCID: 'SYNC_RX_WRONG_SYNCID',
  /**
   * Reserved byte 0 and 8 bytes or more, but not version 1 with spare 0 (another version byte, or
   * a non-zero spare). The kernel reads it as a version 0 message whose nr_conns is that reserved
   * 0 and applies nothing; a version 0 master never sends 0 conns, so we name it and count it.
   */
  BAD_VERSION: 'SYNC_RX_BAD_VERSION',

  // Version 1: this entry and the rest of the message dropped (ip_vs_process_message() returns).
  /** Fewer than 36 bytes (the IPv4 entry) left for the next entry ("Dropping buffer, too small"). */
  CONN_TRUNCATED: 'SYNC_RX_CONN_TRUNCATED',
  /** The entry's size runs past the datagram ("Dropping buffer, msg > buffer"). */
  CONN_OVERRUN: 'SYNC_RX_CONN_OVERRUN',
  /** The entry's ver_size carries a version other than 0 ("Unknown version"). */
  CONN_VERSION: 'SYNC_RX_CONN_VERSION',
  /** A type with bits other than STYPE_F_INET6 and no INET6 bit (ip_vs_proc_sync_conn() -10). */
  BAD_TYPE: 'SYNC_RX_BAD_TYPE',
  /** The entry's size is smaller than its fixed IPv4/IPv6 part (-20). */
  CONN_SHORT: 'SYNC_RX_CONN_SHORT',
  /** An option's type and length bytes run past the entry (-30). */
  OPT_TRUNCATED: 'SYNC_RX_OPT_TRUNCATED',
  /** An option of length zero, or whose data runs past the entry (-40). */
  OPT_BAD_LEN: 'SYNC_RX_OPT_BAD_LEN',
  /** A SEQ_DATA option whose length is not 24 (ip_vs_proc_seqopt(), -50). */
  SEQ_BAD_LEN: 'SYNC_RX_SEQ_BAD_LEN',
  /** SEQ_DATA, PE_DATA, PE_NAME (or our FULLNAT option) found twice (-50, -60, -70). */
  OPT_DUPLICATE: 'SYNC_RX_OPT_DUPLICATE',
  /** A PE_NAME longer than IP_VS_PENAME_MAXLEN (16) (ip_vs_proc_str(), -70). */
  PE_TOO_LONG: 'SYNC_RX_PE_TOO_LONG',
  /** Our FULLNAT option with a length other than 6 (IPv4) or 18 (IPv6): treated like a bad SEQ_DATA. */
  LOCAL_BAD_LEN: 'SYNC_RX_LOCAL_BAD_LEN',

  // Version 0: the rest of the message dropped (ip_vs_process_message_v0() returns).
  /** Fewer than 24 bytes left for the next version 0 entry ("BACKUP v0, bogus conn"). */
  V0_CONN_TRUNCATED: 'SYNC_RX_V0_CONN_TRUNCATED',
  /** IN_SEQ/OUT_SEQ set but the 24 sequence bytes run past the datagram ("bogus conn options"). */
  V0_OPT_TRUNCATED: 'SYNC_RX_V0_OPT_TRUNCATED',

  // One entry skipped, the next one read (ip_vs_proc_sync_conn() retc > 0, v0 `continue`).
  /** An option without the 0x40 IPVS_OPT_F_PARAM bit that the backup does not know (retc 20). */
  UNKNOWN_MANDATORY: 'SYNC_RX_UNKNOWN_MANDATORY',
  /** A conn (not a template) of a protocol IPVS has no handler for (retc 30). */
  BAD_PROTOCOL: 'SYNC_RX_BAD_PROTOCOL',
  /** A conn state at or above its protocol's state count (retc 40). */
  BAD_STATE: 'SYNC_RX_BAD_STATE',
  /** PE_DATA without a PE_NAME ("BACKUP, Invalid PE parameters", retc 50). */
  PE_INVALID: 'SYNC_RX_PE_INVALID',
  /** PE_DATA naming a persistence engine that is not loaded ("no %s engine found", retc 50). */
  PE_UNKNOWN: 'SYNC_RX_PE_UNKNOWN',
} as const;

/** A code of {@link SYNC_RX}. */
export type SyncRxCode = (typeof SYNC_RX)[keyof typeof SYNC_RX];

const SKIPS_ONE: ReadonlySet<SyncRxCode> = new Set<SyncRxCode>([
  SYNC_RX.UNKNOWN_MANDATORY,
  SYNC_RX.BAD_PROTOCOL,
  SYNC_RX.BAD_STATE,
  SYNC_RX.PE_INVALID,
  SYNC_RX.PE_UNKNOWN,
]);

/** True if `code` costs only its own entry; false if the datagram (or its rest) is dropped. */
export function syncRxSkipsEntryOnly(code: SyncRxCode): boolean {
  return SKIPS_ONE.has(code);
}
