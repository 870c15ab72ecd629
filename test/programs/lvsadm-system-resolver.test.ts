/** The system resolver reads hosts and services files as glibc's files backend does. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  addressesIn,
  createSystemResolver,
  parseServices,
} from '../../src/programs/lvsadm/system-resolver.js';
import { HAND_SNAPSHOT } from '../fixtures/ipvsadm/hand/snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsadm-resolver-'));
const hostsFile = join(dir, 'hosts');
const servicesFile = join(dir, 'services');
writeFileSync(hostsFile, '127.0.0.1 localhost\n192.0.2.10 web1.example web1 # comment\n2001:db8::5 v6host\n');
writeFileSync(
  servicesFile,
  'http 80/tcp www # WorldWideWeb\nhttp 80/udp\nhttp-alt 8080/tcp\nwebcache 8080/tcp\n',
);

test('files-only resolver answers forward, reverse, service and port lookups', async () => {
  const r = await createSystemResolver({}, { hostsFile, servicesFile, noDns: true });
  assert.equal(r.hostToAddr('web1'), '192.0.2.10');
  assert.equal(r.hostToAddr('v6host'), undefined, 'gethostbyname answers IPv4 only');
  assert.equal(r.addrToHost('192.0.2.10', 4), 'web1.example');
  assert.equal(r.addrToHost('2001:db8::5', 6), 'v6host');
  assert.equal(r.serviceToPort('www', 'tcp'), 80);
  assert.equal(r.portToService(8080, 'tcp'), 'http-alt', 'the first line for a port wins');
  assert.equal(r.portToService(8080, 'udp'), undefined);
});

test('parseServices skips comments and malformed lines', () => {
  const s = parseServices('# only a comment\nbogus\nssh 22/tcp\n');
  assert.deepEqual([...s.byName], [['ssh/tcp', 22]]);
});

test('addressesIn lists every service and dest address of a snapshot', () => {
  const a = addressesIn(HAND_SNAPSHOT).map((x) => x.addr);
  assert.ok(a.includes('2001:db8::1') && a.includes('198.51.100.9') && a.includes('2001:db8::30'));
});

test('with nothing wanted, the files are read at the first lookup, not before', async () => {
  const late = join(dir, 'late-services');
  const r = await createSystemResolver({}, { hostsFile, servicesFile: late });
  writeFileSync(late, 'gopher 70/tcp\n');
  assert.equal(r.serviceToPort('gopher', 'tcp'), 70);
  assert.equal(r.portToService(70, 'tcp'), 'gopher');
});
