/**
 * lvsd entry point: argument parsing, logging and signal wiring only; the daemon itself is
 * daemon/daemon.ts. Exit codes: 0 clean stop, 1 cannot start (socket taken, bad rules), 2 usage.
 */

import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ConfigFormat } from '../../config/check-config.js';
import { originText } from '../../config/sysctl-conf.js';
import { apply } from '../../control/apply.js';
import type { Command } from '../../control/commands.js';
import type { DataPlaneHandle, DirectorPort } from '../../control/ports.js';
import { LvsError } from '../../core/errors.js';
import { lvsdBgpAnnouncer } from '../../daemon/bgp/lvsd-bgp.js';
import { diagnosticLine, loadConfig } from '../../daemon/config-loader.js';
import { type Daemon, startDaemon } from '../../daemon/daemon.js';
import { DEMO_PORT, DEMO_VIP, type Demo, demoServeState, startDemo } from '../../daemon/demo.js';
import { daemonApiDeps } from '../../daemon/http/daemon-api-deps.js';
import { dashboardRoutes } from '../../daemon/http/dashboard-routes.js';
import { type PreparedHttp, prepareHttp, startHttpApi } from '../../daemon/http/http-api.js';
import type { HttpRoute } from '../../daemon/http/http-route.js';
import type { HttpServer } from '../../daemon/http/http-server.js';
import { applyLogFile } from '../../daemon/log-file.js';
import { createDaemonLogger, toggleLogLevel } from '../../daemon/logger.js';
import { hasMarkSource, loadMarks, loadMarksOffLoop } from '../../daemon/mark-source.js';
import { createMetrics, type Metrics } from '../../daemon/metrics/metrics.js';
import { logOpenFiles } from '../../daemon/open-files-log.js';
import { type LvsdOptions, type LvsdSubcommand, parseLvsdArgs } from '../../daemon/options.js';
import { ConfigSession, healthRunnerEngine } from '../../daemon/reload.js';
import { applyRules, commandText, readRules } from '../../daemon/restore.js';
import { ServiceNotifier } from '../../daemon/service-notifier.js';
import { showsStack, startFailureText } from '../../daemon/start-failure.js';
import { logStartupSysctls, startupSysctls } from '../../daemon/startup-sysctls.js';
import { SyncRoleFollower } from '../../daemon/sync/sync-role-follower.js';
import { syncServiceFactory } from '../../daemon/sync/sync-service-factory.js';
import { tuneV8 } from '../../daemon/v8-tuning.js';
import { vrrpRunnerEngine } from '../../daemon/vrrp/vrrp-engine.js';
import { vrrpInstanceVips } from '../../daemon/vrrp/vrrp-vips.js';
import { packetPlaneVmacConflicts } from '../../dataplane/packet-plane/vrrp-vmac-refusal.js';
import { startProxyPlane } from '../../dataplane/proxy-plane/proxy-plane.js';
import { SyncSocketTransport } from '../../io/sync/sync-socket-transport.js';
import { openNotifyTransport } from '../../io/systemd/notify-transport.js';
import { ipVmacLinks } from '../../io/vrrp/vmac-links.js';
import { VrrpSocketTransport } from '../../io/vrrp/vrrp-socket.js';
import type { VrrpTransport } from '../../vrrp/vrrp-transport.js';

/** Exit code when lvsd cannot start (socket in use, rules file unreadable or invalid). */
export const EXIT_START_FAILED = 1;

/**
 * `lvsd --check-config FILE`: every finding on stderr as `FILE:LINE: severity: text (CODE)`, a
 * summary on stdout, and the original tool's exit code (keepalived -t 0/4/5, ldirectord 0/2).
 */
async function checkOnly(file: string, format?: ConfigFormat, configId?: string): Promise<number> {
  const c = await loadConfig(file, {
    ...(format !== undefined ? { format } : {}),
    ...(configId !== undefined ? { configId } : {}),
  });
  for (const d of c.diagnostics) process.stderr.write(`${diagnosticLine(d)}\n`);
  const verdict = c.exitCode === 0 ? 'OK' : c.exitCode === 5 ? 'has errors (would run)' : 'not usable';
  process.stdout.write(
    `${file}: ${c.format} configuration ${verdict}: ${c.model.services.length} virtual services, ${c.diagnostics.length} findings\n`,
  );
  return c.exitCode;
}

/**
 * The socket transport VRRP adverts travel on (IP protocol 112, TTL 255; src/io/vrrp), loaded at
 * the first open: where the addon cannot load, or the socket cannot be opened (no CAP_NET_RAW),
 * each instance logs why and stays in FAULT (daemon/vrrp/vrrp-runner.ts).
 */
function realVrrpTransport(): VrrpTransport {
  let sockets: VrrpSocketTransport | undefined;
  return {
    open: (ep, onDatagram, onError) => (sockets ??= new VrrpSocketTransport()).open(ep, onDatagram, onError),
  };
}

/**
 * `lvsd NAME ...`: the simulator and the real-server helpers share the lvsd binary, each loaded
 * only when asked for. Typed by options.ts LVSD_SUBCOMMANDS, so `lvsd --help` lists exactly these.
 */
const SUBCOMMANDS: Record<LvsdSubcommand, (args: string[]) => Promise<void>> = {
  simulate: (args) =>
    import('../../tools/simulate.js')
      .then((m) => m.runSimulate(args))
      .then((c) => {
        process.exitCode = c;
      }),
  'rs-setup': (args) =>
    import('../../tools/rs-setup.js').then((m) => {
      process.exitCode = m.runRsSetup(args);
    }),
  // rs-agent holds sockets open until a signal; exit when it returns.
  'rs-agent': (args) =>
    import('../../tools/rs-agent.js').then((m) => m.runRsAgent(args)).then((c) => process.exit(c)),
};

/** Runs lvsd in the foreground until SIGTERM or SIGINT. */
export function main(argv: string[]): void {
  // Before anything hot is optimized: lvsd's inlining limits (v8-tuning.ts).
  tuneV8();
  const sub =
    argv[0] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[0]) ? (argv[0] as LvsdSubcommand) : undefined;
  if (sub !== undefined) {
    void SUBCOMMANDS[sub](argv.slice(1));
    return;
  }
  const a = parseLvsdArgs(argv);
  if (a.kind === 'help' || a.kind === 'version') {
    process.stdout.write(a.text);
    return;
  }
  if (a.kind === 'check') {
    void checkOnly(a.file, a.format, a.configId).then((code) => {
      process.exitCode = code;
    });
    return;
  }
  if (a.kind === 'error') {
    process.stderr.write(`${a.text}\n`);
    process.exitCode = a.exitCode;
    return;
  }
  const o = a.options;
  if (o.dataplane === 'packet' && o.interfaces.length === 0) {
    process.stderr.write('lvsd: --dataplane packet needs at least one --interface\n');
    process.exitCode = 2;
    return;
  }
  let marks = hasMarkSource(o) ? loadMarks(o) : undefined;
  if (marks && !marks.ok) {
    for (const l of marks.lines) process.stderr.write(`lvsd: ${l}\n`);
    process.stderr.write('lvsd: mark rules refused, not starting\n');
    process.exitCode = EXIT_START_FAILED;
    return;
  }
  let rules: Command[] | undefined;
  if (o.restore !== undefined) {
    try {
      rules = readRules(o.restore);
    } catch (e) {
      process.stderr.write(`lvsd: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_START_FAILED;
      return;
    }
  }
  // Sysctls first: a `--sysctl` the settings refuse (e.g. a sync_threshold not below the period)
  // is a usage error like an unknown name, reported before anything starts.
  const sysctls = startupSysctls(o);
  const refused = sysctls.plan.refusedArgs[0];
  if (refused) {
    process.stderr.write(`lvsd: ${originText(refused.origin)}: ${refused.message} (${refused.code})\n`);
    process.exitCode = 2;
    return;
  }
  // ldirectord's logfile= gets the log too; the start's lines wait for the config to name it.
  const { log, file: logFile } = createDaemonLogger(
    o.logLevel,
    o.config !== undefined,
    o.logFormat ?? 'auto',
  );
  // --http (issue 15): token file and address are checked before anything starts; the server
  // starts once the daemon serves. Metrics and the dashboard add their routes to httpRoutes.
  let httpPrep: PreparedHttp | undefined;
  let http: HttpServer | undefined;
  const httpRoutes: HttpRoute[] = [];
  let metrics: Metrics | undefined;
  try {
    httpPrep = o.http ? prepareHttp(o.http) : undefined;
  } catch (e) {
    process.stderr.write(`lvsd: ${e instanceof LvsError ? `${e.message} (${e.code})` : String(e)}\n`);
    process.exitCode = EXIT_START_FAILED;
    return;
  }
  let daemon: Daemon | undefined;
  let demo: Demo | undefined;
  let session: ConfigSession | undefined;
  let syncFollower: SyncRoleFollower | undefined;
  let plane: DataPlaneHandle | undefined;
  // systemd Type=notify (daemon/service-notifier.ts); nothing is sent without NOTIFY_SOCKET.
  const notifyTransport = openNotifyTransport();
  // As sd_notify(3) with unset_environment: check and notify scripts must not inherit the socket
  // and speak for lvsd (the systemd-notify fallback is given it explicitly).
  delete process.env.NOTIFY_SOCKET;
  const notifier = new ServiceNotifier(notifyTransport, {
    log,
    summary: () => ({
      services: daemon?.director.table.size ?? 0,
      dataplane: plane?.name ?? 'none',
      vrrp: session?.vrrpView()?.instances ?? [],
    }),
  });
  // --bgp (issue 18): the served VIPs announced through a local BIRD (daemon/bgp); withdrawn first at stop.
  const bgp = o.bgp
    ? lvsdBgpAnnouncer(o.bgp, log, () => ({
        services: daemon?.director.table.list().map((s) => s.key) ?? [],
        ...(plane ? { status: plane.vipStatus() } : {}),
        ...(session ? { model: session.current } : {}),
        ...(session?.healthView() ? { health: session.healthView() } : {}),
      }))
    : undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    notifier.stopping();
    // VRRP hands the VIPs over (priority 0) while the data plane still runs, then it closes.
    metrics?.close();
    void Promise.resolve(bgp?.stop())
      .then(() => http?.close())
      .then(() => session?.close())
      .then(() => syncFollower?.stop())
      .then(() => Promise.all([daemon?.close(), demo?.close()]))
      .then(() => notifier.flush())
      .then(() => {
        log.info('stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // keepalived and ldirectord reload on SIGHUP (keepalived(8), ldirectord(8)); without --config there is
  // nothing to re-read, and HUP must not kill the director either.
  process.on('SIGHUP', () => {
    if (o.markFile !== undefined) void reloadMarks();
    if (!session) {
      if (o.markFile === undefined)
        log.info('SIGHUP ignored: lvsd was started without --config or --mark-file');
      return;
    }
    // RELOADING=1 then READY=1 whatever the outcome: a refused file leaves the old one serving.
    notifier.reloading();
    void session.reload('SIGHUP').finally(() => notifier.reloaded());
  });
  // SIGUSR2: debug logging on, and off again (daemon/logger.ts toggledLevel).
  process.on('SIGUSR2', () => toggleLogLevel(log, o.logLevel));
  // `--mark-file` again: a file with any finding leaves the rules in force (as a refused --config reload).
  const reloadMarks = async () => {
    const m = await loadMarksOffLoop(o);
    if (!m.ok) {
      for (const l of m.lines) log.warn({ file: o.markFile }, l);
      log.warn({ file: o.markFile }, 'mark file refused: the rules in force stay');
      return;
    }
    marks = m;
    plane?.setMarks?.(m.rules);
    log.info({ file: o.markFile, rules: m.rules.length }, 'mark rules reloaded');
  };

  const initial = (port: DirectorPort, now: number) => {
    const applyNow = (cmd: Command) => (daemon ? daemon.apply(cmd) : apply(port, cmd, Date.now()));
    // The planned sysctls were checked against the defaults this fresh director holds.
    for (const cmd of sysctls.plan.commands) {
      try {
        apply(port, cmd, now);
      } catch (e) {
        log.warn({ err: e }, `sysctl: ${cmd.op === 'set-sysctl' ? cmd.name : cmd.op} not applied`);
      }
    }
    // `lvs_sync_daemon IF inst VI`: the sync roles follow that instance from its first
    // transition, so the follower listens before the VRRP instances start (keepalived.conf(5)).
    if (session) {
      const follower = new SyncRoleFollower({
        model: session.current,
        apply: applyNow,
        log: (level, msg, fields) => log[level](fields ?? {}, msg),
        running: () => port.daemons().map((d) => d.state),
      });
      syncFollower = follower;
      follower.start();
      // SIGHUP: a changed lvs_sync_daemon restarts its daemons, an unchanged one keeps running.
      session.onReloaded((m) => follower.reload(m));
    }
    // Health transitions arrive later through the daemon's apply, which the data plane follows;
    // the first table is built here, before the socket opens and the plane starts.
    session?.start(applyNow);
    // Without `inst` the table's commands started both sync roles; one that failed is retried.
    syncFollower?.settle();
    if (demo) rules = [...demo.commands];
    if (!rules) return;
    const failures = applyRules(port, rules, now);
    for (const f of failures) log.warn({ rule: commandText(f.command), file: o.restore }, f.message);
    const from = demo ? { demo: true } : { file: o.restore };
    log.info({ ...from, rules: rules.length, refused: failures.length }, 'rules applied');
  };
  const ready = (d: Daemon) => {
    log.info(
      { socket: o.socket, dataplane: o.dataplane, connTabSize: d.director.connTabSize },
      d.director.table.size === 0
        ? 'lvsd ready: no services configured (add some with lvsadm)'
        : 'lvsd ready',
    );
    // The table is built, the socket open, the plane (and --http) up: systemd may start what needs us.
    notifier.ready();
  };
  const demoStarted = o.demo ? startDemo() : Promise.resolve(undefined);
  const configOpened = o.config === undefined ? Promise.resolve(undefined) : openConfig(o, log);
  // The VRRP instances' addresses start held by a peer in either plane until an instance is MASTER.
  const vrrpVips = () => (session ? vrrpInstanceVips(session.current) : []);
  Promise.all([demoStarted, configOpened])
    .then(([dm, cs]) => {
      demo = dm;
      session = cs;
      applyLogFile(logFile, session?.current, log);
      session?.onReloaded((m) => applyLogFile(logFile, m, log));
      return startDaemon({
        ...(session
          ? {
              health: {
                health: () => session?.healthView(),
                availability: () => session?.availabilityView(),
              },
              vrrp: () => session?.vrrpView(),
            }
          : {}),
        socket: o.socket,
        ...(bgp ? { bgp } : {}),
        connTabBits: o.connTabBits,
        ...(o.ftpPorts ? { ftpPorts: o.ftpPorts } : {}),
        tickMs: o.tickMs,
        logger: log,
        initial,
        // Sync daemons on real UDP multicast sockets (src/io/sync); they need no privilege, so
        // they run whoever starts lvsd. Tests pass the fake network instead. The daemon joins
        // them to the data plane (daemon/sync/sync-plane-joint.ts): on the packet plane the
        // master sends what the engine's SyncMaster picks and the backup's conns are forwarded.
        sync: syncServiceFactory({
          transport: new SyncSocketTransport(),
          log: (level, msg, fields) => log[level](fields ?? {}, msg),
        }),
        ...(o.dataplane === 'none'
          ? {}
          : {
              dataplane: (port: DirectorPort) =>
                Promise.resolve(
                  o.dataplane === 'packet'
                    ? import('../../dataplane/packet-plane/index.js').then((m) =>
                        m.startPacketDataPlane(port, {
                          interfaces: o.interfaces,
                          log,
                          ingressBypass: o.ingressBypass === true,
                          ...(o.xdp ? { xdp: o.xdp } : {}),
                          ...(o.xdpOffload ? { xdpOffload: o.xdpOffload } : {}),
                          vrrpInstances: vrrpVips(),
                        }),
                      )
                    : startProxyPlane(port, log, {
                        vrrpInstances: vrrpVips(),
                        ...(o.listenBacklog !== undefined ? { listenBacklog: o.listenBacklog } : {}),
                      }),
                ).then((p) => {
                  // VRRP instances run from the table's start; the VIPs follow once the plane is up.
                  session?.attachPlane(p);
                  if (marks?.ok) {
                    if (p.setMarks) p.setMarks(marks.rules);
                    else log.warn({ dataplane: p.name }, 'mark rules are used by the packet data plane only');
                  }
                  plane = p;
                  return p;
                }),
            }),
      });
    })
    .then(
      (d) => {
        daemon = d;
        if (stopping) {
          void Promise.all([d.close(), demo?.close()]).then(() => process.exit(0));
          return;
        }
        // The banner tells the truth about 8080: served, or busy and retried (daemon/demo.ts).
        const dm = demo;
        const service = `TCP ${DEMO_VIP}:${DEMO_PORT}`;
        const p = plane;
        if (dm)
          void (
            p
              ? demoServeState(() => p.vipStatus(), service)
              : Promise.resolve({ service, serving: false, reason: 'no data plane (--dataplane none)' })
          ).then((st) => process.stdout.write(dm.banner(o.socket, st)));
        // Once started: a start failure stays one plain line on stderr (daemon/start-failure.ts).
        logStartupSysctls(log, sysctls);
        logOpenFiles(log);
        if (httpPrep) {
          const hp = httpPrep;
          // GET /metrics: node_exporter's ipvs families and lvs_* (daemon/metrics), read through
          // the daemon's own queries like lvsadm's.
          metrics = createMetrics(d);
          httpRoutes.push(...metrics.routes);
          // GET /: the live dashboard (assets/dashboard), on the API's reads and event stream.
          httpRoutes.push(...dashboardRoutes());
          startHttpApi(
            hp,
            daemonApiDeps(d, log, () => plane),
            httpRoutes,
          ).then(
            (srv) => {
              http = srv;
              const a = srv.address();
              log.info(
                { http: `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}` },
                'http api listening',
              );
              ready(d);
            },
            (e: unknown) => {
              process.stderr.write(`lvsd: --http ${hp.host}:${hp.port}: ${startFailureText(e, o.socket)}\n`);
              void d.close().then(() => process.exit(EXIT_START_FAILED));
            },
          );
        }
        bgp?.start();
        // With --http, lvsd is ready once the HTTP server listens too.
        if (!httpPrep) ready(d);
      },
      (e: unknown) => {
        session?.close();
        // One plain line; the stack only at --log-level debug (daemon/start-failure.ts).
        process.stderr.write(`lvsd: ${startFailureText(e, o.socket)}\n`);
        if (showsStack(o.logLevel)) log.error({ err: e }, 'start failed');
        process.exit(EXIT_START_FAILED);
      },
    );
}

/** The VRRP engine when a transport exists (see realVrrpTransport). */
function vrrpOption(log: Logger, dataplane: string): { vrrp?: ReturnType<typeof vrrpRunnerEngine> } {
  // use_vmac macvlans with the proxy plane (and `none`); the packet plane refuses use_vmac.
  const vmac = dataplane === 'packet' ? {} : { vmac: ipVmacLinks() };
  return { vrrp: vrrpRunnerEngine({ transport: realVrrpTransport(), log, ...vmac }) };
}

/** Loads `--config` for startup; a refused file prints its findings and rejects (exit 1). */
async function openConfig(o: LvsdOptions, log: Logger): Promise<ConfigSession> {
  const path = o.config as string;
  const r = await ConfigSession.open({
    path: resolve(path),
    ...(o.configFormat !== undefined ? { format: o.configFormat } : {}),
    ...(o.configId !== undefined ? { configId: o.configId } : {}),
    log,
    engine: healthRunnerEngine(log),
    ...vrrpOption(log, o.dataplane),
  });
  const conflicts = r.ok && o.dataplane === 'packet' ? packetPlaneVmacConflicts(r.session.current) : [];
  if (r.ok && conflicts.length === 0) return r.session;
  for (const d of r.ok ? conflicts : r.findings) process.stderr.write(`${diagnosticLine(d)}\n`);
  throw new LvsError('ERR_LVS_CONFIG_REFUSED', `${path}: configuration not usable, not starting`);
}
