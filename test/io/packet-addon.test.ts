/** The lazy addon loader: a missing or broken addon is a coded, explained error, never a crash. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_ADDON_PATH,
  loadPacketAddon,
  PACKET_ADDON_ABI,
  packetAddonUnavailableReason,
} from '../../src/io/packet-socket/addon.js';
import { PacketSocket } from '../../src/io/packet-socket/packet-socket.js';

const dir = mkdtempSync(join(tmpdir(), 'lvs-addon-'));

describe('packet addon loader', () => {
  it('reports a missing addon file as ERR_PACKET_ADDON_UNAVAILABLE with the path', () => {
    const path = join(dir, 'missing.node');
    assert.throws(
      () => loadPacketAddon(path),
      (e: unknown) =>
        (e as { code?: string }).code === 'ERR_PACKET_ADDON_UNAVAILABLE' &&
        (e as Error).message.includes(path),
    );
  });

  it('reports a file that is not a loadable addon as unavailable instead of crashing', () => {
    const path = join(dir, 'garbage.node');
    writeFileSync(path, 'not an ELF object');
    assert.throws(() => loadPacketAddon(path), { code: 'ERR_PACKET_ADDON_UNAVAILABLE' });
    assert.match(packetAddonUnavailableReason(path) ?? '', /cannot load/);
  });

  it('makes new PacketSocket() fail with the loader code when LVS_PACKET_ADDON points nowhere', () => {
    const saved = process.env.LVS_PACKET_ADDON;
    process.env.LVS_PACKET_ADDON = join(dir, 'nowhere.node');
    try {
      assert.throws(() => new PacketSocket(), { code: 'ERR_PACKET_ADDON_UNAVAILABLE' });
    } finally {
      if (saved === undefined) delete process.env.LVS_PACKET_ADDON;
      else process.env.LVS_PACKET_ADDON = saved;
    }
  });

  const built = packetAddonUnavailableReason(DEFAULT_ADDON_PATH);
  if (built) console.log(`# skipping built-addon checks: ${built}`);

  it('loads the built addon with the expected ABI and record layout', { skip: built }, () => {
    const b = loadPacketAddon(DEFAULT_ADDON_PATH);
    assert.equal(b.abiVersion, PACKET_ADDON_ABI);
    assert.equal(b.metaWords, 6);
  });

  it('maps a bind to a nonexistent interface to ENODEV through the real addon', { skip: built }, () => {
    // if_nametoindex fails before any socket exists, so this touches no host interface.
    const sock = new PacketSocket();
    assert.throws(() => sock.bind('lvsnope0'), { code: 'ENODEV', syscall: 'bind' });
    assert.equal(sock.state, 'UNBOUND');
  });

  it('carries no benchmark code: the load generator is only in the bench addon', { skip: built }, () => {
    const b = loadPacketAddon(DEFAULT_ADDON_PATH) as unknown as Record<string, unknown>;
    assert.equal(b.blast, undefined);
  });
});
