/** lvsadm entry point: parse argv, talk to lvsd, print ipvsadm's output. */
export function main(_argv: string[]): void {
  process.stderr.write('lvsadm: not implemented yet\n');
  process.exitCode = 2;
}
