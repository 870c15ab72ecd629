/**
 * The director as the daemon and the data planes see it (`DirectorPort`, declared in
 * control/ports.ts): apply's ControlTarget plus the read side (timeouts, daemons, connections)
 * and the periodic tick. createDirectorPort wraps the core's Director; data planes reach the
 * Director itself through `director`.
 */
import type { DirectorPort } from '../control/ports.js';
import { connViews } from '../core/conn-views.js';
import { Director } from '../core/director.js';
import { findScheduler } from '../core/schedulers/index.js';

/**
 * A Director with every built-in scheduler, seen as a DirectorPort. No sync daemon exists yet,
 * so `startDaemon`/`stopDaemon` are absent and apply answers EOPNOTSUPP for them.
 */
export function createDirectorPort(connTabBits: number): DirectorPort {
  const director = new Director({ schedulers: findScheduler, tabBits: connTabBits });
  return {
    director,
    table: director.table,
    connTabSize: director.conns.size,
    setTimeouts: (tcp, tcpfin, udp) => director.setTimeouts(tcp, tcpfin, udp),
    setSysctl: (name, value) => director.setSysctl(name, value),
    zeroGlobal: () => director.zeroGlobal(),
    timeouts: () => director.settings.timeouts(),
    daemons: () => [],
    conns: (now) => connViews(director, now),
    tick: (now) => director.tick(now),
  };
}
