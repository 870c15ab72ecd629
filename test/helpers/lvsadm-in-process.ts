/**
 * lvsadm run in the test's own process against a daemon's socket (the real `run` with its
 * output captured), for daemon tests that need many lvsadm calls without a process each.
 */
import { connectClient } from '../../src/programs/lvsadm/client.js';
import { type RunnerEnv, run } from '../../src/programs/lvsadm/main.js';

/** Runs `lvsadm argv` against `socket`; returns its exit code and output. */
export async function lvsadm(
  socket: string,
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const env: RunnerEnv = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: () => Promise.resolve(''),
    connect: (p) => connectClient(p),
    socketEnv: { env: { LVSD_SOCKET: socket }, uid: undefined },
  };
  const code = await run(argv, env);
  return { code, out: out.join(''), err: err.join('') };
}
