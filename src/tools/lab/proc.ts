/**
 * Entry point of every process a lab starts inside a namespace (`node proc.js ROLE ARGS...`):
 * one file so the lab can find its helpers next to itself whether it runs from dist/ (node) or
 * from src/ (tsx, in tests). Roles: rs-http NAME PORT, capture IFNAME, ha-capture IFNAME, rs-agent ARGS,
 * lvsd ARGS.
 */
const [role, ...args] = process.argv.slice(2);

async function run(): Promise<void> {
  switch (role) {
    case 'rs-http': {
      const { startRsHttp } = await import('./rs-http.js');
      await startRsHttp(args[0] ?? 'rs', Number(args[1] ?? 80));
      process.stdout.write('ready\n');
      return;
    }
    case 'capture': {
      const { runCapture } = await import('./capture.js');
      runCapture(args[0] ?? 'eth0');
      return;
    }
    case 'ha-capture': {
      const { runHaCapture } = await import('./ha-capture.js');
      runHaCapture(args[0] ?? 'eth0');
      return;
    }
    case 'rs-agent': {
      const { runRsAgent } = await import('../rs-agent.js');
      process.exitCode = await runRsAgent(args);
      return;
    }
    case 'lvsd': {
      const { runLabLvsd } = await import('./lab-lvsd.js');
      await runLabLvsd(args);
      return;
    }
    default:
      process.stderr.write(`lab proc: unknown role ${String(role)}\n`);
      process.exitCode = 2;
  }
}

run().catch((e: unknown) => {
  process.stderr.write(
    `lab proc ${String(role)}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
