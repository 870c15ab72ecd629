/**
 * LVS.ts's own version and the versions of the tools it reproduces, for `lvsd --version`,
 * `lvsadm --help-extensions` and the status view. Kept equal to package.json's version by
 * test/programs/version-help.test.ts (a test, because pure code reads no files).
 */

/** LVS.ts's version (package.json "version"). */
export const LVS_TS_VERSION = '0.1.0';

/**
 * What LVS.ts imitates, each as the version whose behaviour the tests hold it to: ipvsadm's
 * -v line and messages, the kernel's IPVS version in listings, keepalived's `-t` checks and
 * Debian's ldirectord script for the configuration files.
 */
export const IMITATED = {
  ipvsadm: '1.31',
  ipvs: '1.2.1',
  keepalived: '2.2.7',
  ldirectord: '1.186-ha',
} as const;
