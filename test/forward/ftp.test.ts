/**
 * The FTP control-line scanner (ip_vs_ftp.c's ip_vs_ftp_get_addrport, ip_vs_ftp_in's PASV/EPSV
 * search, ip_vs_ftp_out's 227/229 match) and the text written in place of a reply's address.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  FTP_MODE,
  FTP_TEXT_MAX,
  FtpMatch,
  ftpScanClient,
  ftpScanServer,
  ftpWriteAddr,
} from '../../src/forward/ftp.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const text = (b: Uint8Array, m: FtpMatch): string => new TextDecoder().decode(b.subarray(m.start, m.end));

function client(s: string): [number, FtpMatch] {
  const m = new FtpMatch();
  const b = bytes(s);
  return [ftpScanClient(b, 0, b.length, m), m];
}

function server(s: string, mode: number, preset = 0): [boolean, FtpMatch] {
  const m = new FtpMatch();
  const b = bytes(s);
  return [ftpScanServer(b, 0, b.length, mode, preset, m), m];
}

describe('ftp scanner: client commands', () => {
  it('PORT gives the client address and port and where the address text lies', () => {
    const [mode, m] = client('PORT 203,0,113,7,156,64\r\n');
    assert.equal(mode, FTP_MODE.ACTIVE);
    assert.deepEqual([m.addr, m.port], [ip('203.0.113.7'), 156 * 256 + 64]);
    assert.equal(text(bytes('PORT 203,0,113,7,156,64\r\n'), m), '203,0,113,7,156,64');
  });

  it('lower-case commands match as strncasecmp does', () => {
    assert.equal(client('port 1,2,3,4,0,21\r\n')[0], FTP_MODE.ACTIVE);
    assert.equal(client('pasv\r\n')[0], FTP_MODE.PASV);
  });

  it('PASV and EPSV (bare or family 1) anywhere in the segment arm passive mode', () => {
    assert.equal(client('PASV\r\n')[0], FTP_MODE.PASV);
    assert.equal(client('NOOP\r\nPASV\r\n')[0], FTP_MODE.PASV);
    assert.equal(client('EPSV\r\n')[0], FTP_MODE.EPSV);
    assert.equal(client('EPSV 1\r\n')[0], FTP_MODE.EPSV);
  });

  it('EPSV 2 (IPv6) and EPSV ALL on an IPv4 conn change nothing, as in the kernel', () => {
    assert.equal(client('EPSV 2\r\n')[0], -1);
    assert.equal(client('EPSV ALL\r\n')[0], -1);
  });

  it('EPRT |1|addr|port| gives the address and port; family 2 is refused on IPv4', () => {
    const [mode, m] = client('EPRT |1|203.0.113.7|40000|\r\n');
    assert.equal(mode, FTP_MODE.EPRT);
    assert.deepEqual([m.addr, m.port], [ip('203.0.113.7'), 40000]);
    assert.equal(client('EPRT |2|2001:db8::1|40000|\r\n')[0], -1);
    assert.equal(client('EPRT !1!198.51.100.9!21!\r\n')[1].port, 21);
  });

  it('malformed PORT / EPRT lines are no command: too few numbers, octet > 255, port 0, cut short', () => {
    for (const s of [
      'PORT 1,2,3,4,5\r\n',
      'PORT 1,2,3,4,5,6',
      'PORT',
      'POR',
      'EPRT |1|256.0.0.1|21|\r\n',
      'EPRT |1|1.2.3|21|\r\n',
      'EPRT |1|1.2.3.4|0|\r\n',
      'EPRT |1|1.2.3.4|21',
      'RETR file\r\n',
      '',
    ])
      assert.equal(client(s)[0], -1, s);
  });
});

describe('ftp scanner: server replies', () => {
  it('227 with parentheses gives the real server address and port', () => {
    const s = '227 Entering Passive Mode (192,0,2,10,195,80).\r\n';
    const [ok, m] = server(s, FTP_MODE.PASV);
    assert.equal(ok, true);
    assert.deepEqual([m.addr, m.port], [ip('192.0.2.10'), 195 * 256 + 80]);
    assert.equal(text(bytes(s), m), '192,0,2,10,195,80');
  });

  it('227 without parentheses matches too (the "(" is optional)', () => {
    const [ok, m] = server('227 Entering Passive Mode 192,0,2,10,4,1\r\n', FTP_MODE.PASV);
    assert.deepEqual([ok, m.port], [true, 1025]);
  });

  it('229 (|||port|) gives the port and keeps the preset address', () => {
    const s = '229 Entering Extended Passive Mode (|||50000|)\r\n';
    const [ok, m] = server(s, FTP_MODE.EPSV, ip('192.0.2.10'));
    assert.deepEqual([ok, m.addr, m.port, text(bytes(s), m)], [true, ip('192.0.2.10'), 50000, '|||50000|']);
  });

  it('a reply is only looked for in the mode the client asked for', () => {
    assert.equal(server('227 Entering Passive Mode (1,2,3,4,5,6)\r\n', FTP_MODE.EPSV)[0], false);
    assert.equal(server('229 Entering Extended Passive Mode (|||5|)\r\n', FTP_MODE.PASV)[0], false);
    assert.equal(server('227 Entering Passive Mode (1,2,3,4,5,6)\r\n', FTP_MODE.ACTIVE)[0], false);
    assert.equal(server('200 PORT command successful\r\n', FTP_MODE.PASV)[0], false);
  });
});

describe('ftp scanner: replacement text', () => {
  it('PASV text is the address and port as six decimal bytes, EPSV text |||port|', () => {
    const out = new Uint8Array(FTP_TEXT_MAX);
    const n = ftpWriteAddr(out, 0, FTP_MODE.PASV, ip('192.0.2.100'), 50000);
    assert.equal(new TextDecoder().decode(out.subarray(0, n)), '192,0,2,100,195,80');
    const e = ftpWriteAddr(out, 0, FTP_MODE.EPSV, 0, 50000);
    assert.equal(new TextDecoder().decode(out.subarray(0, e)), '|||50000|');
    assert.equal(ftpWriteAddr(out, 0, FTP_MODE.PASV, 0xffffffff, 0xffff), FTP_TEXT_MAX);
  });
});

describe('ftp scanner: properties', () => {
  it('never throws on any bytes and any window; a match lies inside the window', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(90),
        fc.nat(90),
        fc.constantFrom(FTP_MODE.PASV, FTP_MODE.EPSV, FTP_MODE.ACTIVE),
        (b, x, y, mode) => {
          const lo = Math.min(x, y, b.length);
          const hi = Math.min(Math.max(x, y), b.length);
          const m = new FtpMatch();
          const r = ftpScanClient(b, lo, hi, m);
          if (r === FTP_MODE.ACTIVE || r === FTP_MODE.EPRT)
            assert.ok(lo <= m.start && m.start < m.end && m.end <= hi);
          if (ftpScanServer(b, lo, hi, mode, 0, m))
            assert.ok(lo <= m.start && m.start < m.end && m.end <= hi);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never throws on text made of the grammar own characters', () => {
    const tok = fc.constantFrom(
      'PORT ',
      'EPRT ',
      '227 ',
      '229 ',
      'PASV',
      'EPSV',
      '(',
      ')',
      '|',
      ',',
      '.',
      '1',
      '255',
      '\r',
      '\n',
      ' ',
      '9999',
    );
    fc.assert(
      fc.property(fc.array(tok, { maxLength: 20 }), (parts) => {
        const b = bytes(parts.join(''));
        const m = new FtpMatch();
        ftpScanClient(b, 0, b.length, m);
        ftpScanServer(b, 0, b.length, FTP_MODE.PASV, 0, m);
        ftpScanServer(b, 0, b.length, FTP_MODE.EPSV, 0, m);
      }),
      { numRuns: 3000 },
    );
  });

  it('a rewritten 227 / PORT / 229 / EPRT reads back as the address and port written', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 0xffff }),
        (addr, port) => {
          const out = new Uint8Array(FTP_TEXT_MAX);
          const n = ftpWriteAddr(out, 0, FTP_MODE.PASV, addr, port);
          const a = new TextDecoder().decode(out.subarray(0, n));
          const [ok, m] = server(`227 Entering Passive Mode (${a}).\r\n`, FTP_MODE.PASV);
          assert.deepEqual([ok, m.addr, m.port], [true, addr, port]);
          const [mode, p] = client(`PORT ${a}\r\n`);
          assert.deepEqual([mode, p.addr, p.port], [FTP_MODE.ACTIVE, addr, port]);
          const e = ftpWriteAddr(out, 0, FTP_MODE.EPSV, addr, port);
          const [ok2, m2] = server(
            `229 Entering Extended Passive Mode (${new TextDecoder().decode(out.subarray(0, e))})\r\n`,
            FTP_MODE.EPSV,
            7,
          );
          assert.deepEqual([ok2, m2.addr, m2.port], [true, 7, port]);
          const dotted = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join('.');
          const [mode3, q] = client(`EPRT |1|${dotted}|${port}|\r\n`);
          assert.deepEqual([mode3, q.addr, q.port], [FTP_MODE.EPRT, addr, port]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
