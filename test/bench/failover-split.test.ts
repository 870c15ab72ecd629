import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitTakeover } from '../../bench/lib/failover-split.js';

const D1 = '198.51.100.11';
const D2 = '198.51.100.12';

describe('failover bench takeover split', () => {
  it('times the election to the new master first advert after the kill and the rest as hand-over', () => {
    const adverts = [
      [900, D1],
      [1900, D1],
      [4500, D2],
      [4600, D2],
    ] as const;
    assert.deepEqual(splitTakeover(2000, 4540, adverts, D2), {
      answered: 2540,
      election: 2500,
      handover: 40,
    });
  });

  it('ignores the old master adverts and any advert from before the kill', () => {
    const adverts = [
      [1500, D2],
      [2100, D1],
      [3000, D2],
    ] as const;
    assert.equal(splitTakeover(2000, 3100, adverts, D2).election, 1000);
  });

  it('leaves election and hand-over NaN when the new master advert was never heard', () => {
    const s = splitTakeover(2000, 3100, [[2500, D1]], D2);
    assert.equal(s.answered, 1100);
    assert.ok(Number.isNaN(s.election) && Number.isNaN(s.handover));
  });
});
