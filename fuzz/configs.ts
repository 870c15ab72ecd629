/**
 * keepalived.conf and ldirectord.cf through `--check-config`'s path (checkConfig: parse, then the
 * table's own refusals as findings), then, as a reload does, the commands built from the model
 * applied to a fresh director. Seeds: the test fixtures and, where installed, Debian keepalived's
 * shipped samples; mutations work on lines, tokens and bytes. Rules checked: nothing throws; every
 * diagnostic is a ConfigError with a stable code (ERR_CONFIG_, or ERR_LVS_ for table refusals) and a file:line inside the files given; and
 * a configuration `--check-config` passes without error applies without a table refusal (#20:
 * every value the table would refuse is a finding first).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { checkConfig } from '../src/config/check-config.js';
import { buildCommands } from '../src/config/to-commands.js';
import { apply } from '../src/control/apply.js';
import { ConfigError } from '../src/core/errors.js';
import { createDirectorPort } from '../src/daemon/director-port.js';
import { CONFIG_FUZZ_TOKENS } from '../test/config/config-fuzz-tokens.js';
import { memIo } from '../test/config/mem-io.js';
import { Rng } from './rng.js';
import { bump, describeThrown, Findings, type FuzzTarget, type TargetResult } from './target.js';

const FIXTURES = new URL('../test/fixtures/', import.meta.url);
const SAMPLES = '/usr/share/doc/keepalived/samples';

/** Seed files: [format, text]. */
function seeds(): ['keepalived' | 'ldirectord', string][] {
  const out: ['keepalived' | 'ldirectord', string][] = [];
  for (const f of readdirSync(new URL('keepalived/', FIXTURES)))
    out.push(['keepalived', readFileSync(new URL(`keepalived/${f}`, FIXTURES), 'utf8')]);
  for (const f of readdirSync(new URL('ldirectord/', FIXTURES)))
    out.push(['ldirectord', readFileSync(new URL(`ldirectord/${f}`, FIXTURES), 'utf8')]);
  if (existsSync(SAMPLES))
    for (const f of readdirSync(SAMPLES))
      if (f.startsWith('keepalived.conf')) out.push(['keepalived', readFileSync(`${SAMPLES}/${f}`, 'utf8')]);
  return out;
}

const TOKENS = CONFIG_FUZZ_TOKENS;

function mutate(rng: Rng, text: string, other: string): string {
  let s = text;
  const n = 1 + rng.int(6);
  for (let k = 0; k < n; k++) {
    switch (rng.int(6)) {
      case 0: {
        const lines = s.split('\n');
        lines.splice(rng.int(lines.length), 1);
        s = lines.join('\n');
        break;
      }
      case 1: {
        const lines = s.split('\n');
        const i = rng.int(lines.length);
        lines.splice(i, 0, lines[i] ?? '');
        s = lines.join('\n');
        break;
      }
      case 2: {
        // A line of another seed: a valid construct in a place it does not belong.
        const lines = s.split('\n');
        const from = other.split('\n');
        lines.splice(rng.int(lines.length + 1), 0, rng.pick(from));
        s = lines.join('\n');
        break;
      }
      case 3: {
        // Replace one whitespace-separated token.
        const parts = s.split(/(\s+)/);
        const i = rng.int(parts.length);
        if (!/^\s*$/.test(parts[i] ?? '')) parts[i] = rng.pick(TOKENS);
        s = parts.join('');
        break;
      }
      case 4: {
        const at = rng.int(s.length + 1);
        s = `${s.slice(0, at)} ${rng.pick(TOKENS)} ${s.slice(at)}`;
        break;
      }
      default: {
        const at = rng.int(s.length + 1);
        const len = rng.int(8);
        let r = '';
        for (let i = rng.int(6); i > 0; i--)
          r += String.fromCharCode(rng.oneIn(8) ? rng.int(0x3000) : 32 + rng.int(95));
        s = s.slice(0, at) + r + s.slice(at + len);
      }
    }
  }
  return s;
}

/** The configs target. */
export const configsTarget: FuzzTarget = {
  name: 'configs',
  run(o, progress): TargetResult {
    const rng = new Rng(o.seed);
    const pool = seeds();
    const findings = new Findings(o.maxFindings);
    const counts: Record<string, number> = {};
    const enc = new TextEncoder();
    for (let i = 0; i < o.count; i++) {
      const [format, seed] = rng.pick(pool);
      const text = mutate(rng, seed, rng.pick(pool)[1]);
      const main = format === 'keepalived' ? '/etc/k/keepalived.conf' : '/etc/ha.d/ldirectord.cf';
      const files: Record<string, string> = { [main]: text };
      if (format === 'keepalived')
        files['/etc/k/inc.conf'] = mutate(
          rng,
          'virtual_server 192.0.2.9 80 {\n  real_server 198.51.100.1 80 {\n  }\n}\n',
          seed,
        );
      progress.begin(i, enc.encode(JSON.stringify(files)));
      const input = (): string => JSON.stringify(files);
      try {
        const r = checkConfig(main, memIo(files), { format });
        for (const d of r.diagnostics) {
          // Table refusals keep the code lvsd logs at start (ERR_LVS_*), parse findings ERR_CONFIG_*.
          if (!(d instanceof ConfigError) || !/^ERR_(CONFIG|LVS)_[A-Z0-9_]+$/.test(d.code)) {
            findings.add(i, `uncoded diagnostic ${String((d as { code?: unknown }).code)}`, input());
          } else if (!(d.file in files) || !Number.isInteger(d.line) || d.line < 0) {
            findings.add(i, `diagnostic without a file:line inside the input: ${d.file}:${d.line}`, input());
          } else bump(counts, d.code);
        }
        bump(counts, `exit ${r.exitCode}`);
        const commands = buildCommands(r.model);
        if (!r.diagnostics.some((d) => d.severity === 'error')) {
          // What --check-config accepted, a reload must be able to apply.
          const port = createDirectorPort(8);
          for (const c of commands) {
            // Sync daemons start through lvsd's sync service, which this bare director has not.
            if (c.op === 'start-daemon' || c.op === 'stop-daemon') continue;
            try {
              apply(port, c, 1_000);
            } catch (e) {
              findings.add(
                i,
                `--check-config passed but the table refused ${c.op}: ${describeThrown(e)}`,
                input(),
              );
              break;
            }
          }
          bump(counts, 'applied');
        }
      } catch (e) {
        findings.add(i, `threw ${describeThrown(e)}`, input());
      }
    }
    return { inputs: o.count, findings: findings.list, counts: { ...counts, findings: findings.total } };
  },
};
