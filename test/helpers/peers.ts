/**
 * Skips for tests whose real peer (a Debian package) is missing. `npm test` as root installs
 * every peer first (scripts/test-peers.mjs), so there a missing peer is a failure, not a skip;
 * elsewhere the tests that need it skip and print why.
 */

/** Why a test needing `peer` must skip, or undefined when it runs (present, or root). */
export function peerSkipReason(peer: string, present: boolean): string | undefined {
  if (present || process.getuid?.() === 0) return undefined;
  const why = `${peer} is not installed and not root (npm test as root installs it)`;
  console.log(`# skipping: ${why}`);
  return why;
}
