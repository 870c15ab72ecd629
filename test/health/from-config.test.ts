import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKeepalived } from '../../src/config/keepalived/index.js';
import { parseLdirectord } from '../../src/config/ldirectord/parser.js';
import type { LvsModel } from '../../src/config/model.js';
import { memIo } from '../config/mem-io.js';
import { fakeRunner } from './fake-runner.js';
import { brief } from './sim.js';

function run(m: LvsModel) {
  const r = fakeRunner(m);
  r.runner.start();
  return r;
}

const KEEPALIVED = `
virtual_server 192.0.2.10 80 {
    delay_loop 2
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    sorry_server 198.51.100.99 80
    real_server 198.51.100.1 80 {
        weight 2
        notify_down "/usr/local/bin/rs-down"
        TCP_CHECK {
            connect_timeout 1
            retry 2
            delay_before_retry 1
        }
    }
}
`;

test('keepalived.conf through the config parser: retry 2 → down after 3 failures, sorry server takes over', async () => {
  const r = parseKeepalived('/k.conf', memIo({ '/k.conf': KEEPALIVED }));
  const { clock, prober, cmds, scripts, runner } = run(r.model);
  assert.deepEqual(cmds.map(brief), ['add-service', 'add 198.51.100.1:80 w2']);
  await clock.advance(1000); // first check after keepalived's 1 s bootstrap delay
  prober.set('198.51.100.1', false);
  await clock.advance(2000); // failure 1 (counted: retry_it 0 → 1) at 3 s
  await clock.advance(1000); // failure 2 at 4 s
  assert.equal(cmds.length, 2);
  await clock.advance(1000); // failure 3 at 5 s → down
  assert.deepEqual(cmds.slice(2).map(brief), ['del 198.51.100.1:80', 'add 198.51.100.99:80 w1']);
  assert.deepEqual(scripts, ['/usr/local/bin/rs-down']);
  runner.stop();
});

const LDIRECTORD = `checktimeout=3
checkinterval=5
quiescent=yes
failurecount=2
fallbackcommand="/usr/local/bin/fb"

virtual=192.0.2.20:80
	real=198.51.100.1:80 masq 3
	fallback=127.0.0.1:80 masq
	service=http
	request="index.html"
	receive="Test Page"
	scheduler=rr
	protocol=tcp
	checktype=negotiate
`;

test('ldirectord.cf through the config parser: quiescent weight 0 until checked, failurecount 2, fallback', async () => {
  const r = parseLdirectord('/etc/ha.d/ldirectord.cf', LDIRECTORD);
  assert.equal(r.exitCode, 0, JSON.stringify(r.diagnostics));
  const { clock, prober, cmds, scripts, runner } = run(r.model);
  // Real servers start down (weight 0 with quiescent) and the fallback serves until the first check.
  assert.deepEqual(cmds.map(brief), ['add-service', 'add 198.51.100.1:80 w0', 'add 127.0.0.1:80 w1']);
  await clock.advance(0);
  assert.deepEqual(cmds.slice(3).map(brief), ['del 127.0.0.1:80', 'edit 198.51.100.1:80 w3']);
  assert.equal(prober.calls[0], 'http 198.51.100.1:80 0');
  prober.set('198.51.100.1', false);
  await clock.advance(5000); // soft failure 1/2
  assert.equal(cmds.length, 5);
  await clock.advance(5000); // failure 2/2 → quiesced, fallback added
  assert.deepEqual(cmds.slice(5).map(brief), ['edit 198.51.100.1:80 w0', 'add 127.0.0.1:80 w1']);
  assert.deepEqual(scripts, [
    '/usr/local/bin/fb stop 192.0.2.20:80 tcp',
    '/usr/local/bin/fb start 192.0.2.20:80 tcp',
  ]);
  runner.stop();
});
