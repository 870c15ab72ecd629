import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { haproxyConf } from '../../bench/lib/haproxy-conf.js';

const input = { vip: '198.51.100.100', port: 80, server: { host: '198.51.100.11', port: 8080 } };
const haveHaproxy = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;

describe('failover bench haproxy.cfg', () => {
  it('binds a tcp-mode frontend to the VIP and forwards to the director-local server', () => {
    const cfg = haproxyConf(input);
    assert.match(cfg, /^\s*mode tcp$/m);
    assert.match(cfg, /^\s*bind 198\.51\.100\.100:80$/m);
    assert.match(cfg, /^\s*server local 198\.51\.100\.11:8080$/m);
  });

  it('is a configuration Debian haproxy accepts (haproxy -c)', (t) => {
    if (!haveHaproxy) return t.skip('haproxy is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'lvs-haproxy-conf-'));
    try {
      const file = join(dir, 'h.cfg');
      writeFileSync(file, haproxyConf(input));
      const r = spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a port outside 1..65535 and an address that is not IPv4', () => {
    assert.throws(() => haproxyConf({ ...input, port: 0 }), /vip port 0/);
    assert.throws(
      () => haproxyConf({ ...input, server: { host: '198.51.100.11', port: 70000 } }),
      /server port/,
    );
    assert.throws(() => haproxyConf({ ...input, vip: '198.51.100.256' }), /vip .* is not an IPv4/);
    assert.throws(
      () => haproxyConf({ ...input, server: { host: 'd1\n  server x', port: 1 } }),
      /not an IPv4/,
    );
  });

  it('puts any valid address and port into the bind and server lines unchanged (property)', () => {
    const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(ip, port, ip, port, (vip, p, host, sp) => {
        const cfg = haproxyConf({ vip, port: p, server: { host, port: sp } });
        assert.ok(cfg.includes(`\n  bind ${vip}:${p}\n`));
        assert.ok(cfg.includes(`\n  server local ${host}:${sp}\n`));
      }),
    );
  });

  it('refuses arbitrary strings that are not dotted-quad addresses (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(s)),
        (s) => {
          assert.throws(() => haproxyConf({ ...input, vip: s }), /not an IPv4/);
        },
      ),
    );
  });
});
