import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  LineDecoder,
  MAX_REQUEST_BYTES,
} from '../../src/control/protocol.js';
import { tcp } from '../helpers/table.js';

function errCode(line: string): string | undefined {
  const d = decodeRequest(line);
  return d.ok ? undefined : d.error.code;
}

describe('decodeRequest', () => {
  it('accepts a versioned command and returns the validated command', () => {
    const d = decodeRequest(JSON.stringify({ v: 1, id: 7, command: { op: 'clear' } }));
    assert.deepEqual(d, { ok: true, request: { v: 1, id: 7, command: { op: 'clear' } } });
  });

  it('accepts a query with a string id', () => {
    const d = decodeRequest(
      JSON.stringify({ v: 1, id: 'a', query: { q: 'list', service: tcp('10.0.0.1', 80) } }),
    );
    assert.equal(d.ok, true);
    assert.deepEqual(d.ok && 'query' in d.request && d.request.query.q, 'list');
  });

  it('canonicalises addresses through validateCommand', () => {
    const d = decodeRequest(
      JSON.stringify({ v: 1, id: 1, command: { op: 'del-service', service: tcp('2001:DB8:0::1', 80) } }),
    );
    assert.ok(d.ok && 'command' in d.request && d.request.command.op === 'del-service');
    assert.equal(
      d.ok &&
        'command' in d.request &&
        'service' in d.request.command &&
        d.request.command.service?.kind === 'addr' &&
        d.request.command.service.addr,
      '2001:db8::1',
    );
  });

  it('refuses invalid JSON with ERR_LVS_PROTO_JSON', () => {
    assert.equal(errCode('{"v":1,'), 'ERR_LVS_PROTO_JSON');
  });

  it('refuses a non-object with ERR_LVS_PROTO_ENVELOPE', () => {
    assert.equal(errCode('[1,2]'), 'ERR_LVS_PROTO_ENVELOPE');
    assert.equal(errCode('null'), 'ERR_LVS_PROTO_ENVELOPE');
  });

  it('refuses other versions with ERR_LVS_PROTO_VERSION and echoes the id', () => {
    const d = decodeRequest(JSON.stringify({ v: 2, id: 9, command: { op: 'clear' } }));
    assert.deepEqual(d.ok ? null : [d.id, d.error.code], [9, 'ERR_LVS_PROTO_VERSION']);
    assert.equal(errCode('{"id":1,"command":{"op":"clear"}}'), 'ERR_LVS_PROTO_VERSION');
  });

  it('needs an id and exactly one of command or query', () => {
    assert.equal(errCode('{"v":1,"command":{"op":"clear"}}'), 'ERR_LVS_PROTO_ENVELOPE');
    assert.equal(errCode('{"v":1,"id":1}'), 'ERR_LVS_PROTO_ENVELOPE');
    assert.equal(
      errCode('{"v":1,"id":1,"command":{"op":"clear"},"query":{"q":"status"}}'),
      'ERR_LVS_PROTO_ENVELOPE',
    );
  });

  it('passes command validation errors through as ERR_LVS_BAD_REQUEST', () => {
    assert.equal(errCode('{"v":1,"id":1,"command":{"op":"explode"}}'), 'ERR_LVS_BAD_REQUEST');
    assert.equal(
      errCode('{"v":1,"id":1,"query":{"q":"list","service":{"kind":"addr"}}}'),
      'ERR_LVS_BAD_REQUEST',
    );
  });

  it('refuses a request over the size limit with ERR_LVS_PROTO_TOO_LARGE', () => {
    const big = JSON.stringify({ v: 1, id: 1, command: { op: 'clear', pad: 'x'.repeat(MAX_REQUEST_BYTES) } });
    assert.equal(errCode(big), 'ERR_LVS_PROTO_TOO_LARGE');
  });

  it('never throws and always yields a coded error or a request for arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((j) => JSON.stringify({ v: 1, id: 1, command: j })),
        ),
        (s) => {
          const d = decodeRequest(s);
          if (!d.ok) assert.match(d.error.code, /^ERR_LVS_/);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('encode/decode round trip', () => {
  it('decodeResponse reads what encodeResponse wrote', () => {
    const r = {
      v: 1,
      id: 3,
      ok: false,
      error: { code: 'ERR_LVS_NO_SERVICE', errno: 'ESRCH', message: 'x' },
    } as const;
    assert.deepEqual(decodeResponse(encodeResponse(r).trimEnd()), r);
  });

  it('decodeResponse refuses a wrong version and garbage', () => {
    assert.throws(() => decodeResponse('{"v":9,"id":1,"ok":true,"changes":[]}'), {
      code: 'ERR_LVS_PROTO_VERSION',
    });
    assert.throws(() => decodeResponse('nope'), { code: 'ERR_LVS_PROTO_RESPONSE' });
    assert.throws(() => decodeResponse('{"v":1,"id":1,"ok":true}'), { code: 'ERR_LVS_PROTO_RESPONSE' });
  });

  it('encodeRequest writes exactly one line', () => {
    const line = encodeRequest({ v: 1, id: 1, query: { q: 'status' } });
    assert.equal(line.indexOf('\n'), line.length - 1);
  });
});

describe('LineDecoder', () => {
  it('splits lines across chunks and strips CR', () => {
    const d = new LineDecoder(100);
    assert.deepEqual(d.push('ab'), []);
    assert.deepEqual(d.push('c\r\nde\nf'), ['abc', 'de']);
    assert.equal(d.rest(), 'f');
  });

  it('reports overflow when a partial line passes the limit, and stays overflowed', () => {
    const d = new LineDecoder(4);
    assert.equal(d.push('12345'), null);
    assert.equal(d.push('\n'), null);
  });

  it('reports overflow for a complete line over the limit', () => {
    assert.equal(new LineDecoder(3).push('1234\n'), null);
  });
});
