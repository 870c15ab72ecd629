/** lvsd entry point: wiring only. The full daemon arrives with the lvsd/lvsadm issue. */
export function main(_argv: string[]): void {
  process.stderr.write('lvsd: no services configured (the daemon is not wired yet)\n');
}
