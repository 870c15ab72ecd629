import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quorumGainedText, quorumLostText } from '../../src/health/service-monitor.js';

test('quorum transitions are told in words: which alive weight fell below or reached what', () => {
  assert.equal(quorumLostText(0, 1, 0), 'lost quorum: no real server alive');
  assert.equal(quorumLostText(4, 7, 2), 'lost quorum: alive weight 4 is below quorum 7 minus hysteresis 2');
  assert.equal(quorumLostText(3, 4, 0), 'lost quorum: alive weight 3 is below quorum 4');
  assert.equal(quorumGainedText(9, 7, 2), 'gained quorum: alive weight 9 reaches quorum 7 plus hysteresis 2');
  assert.equal(quorumGainedText(1, 1, 0), 'gained quorum: alive weight 1 reaches quorum 1');
  for (const t of [quorumLostText(4, 7, 2), quorumGainedText(9, 7, 2)])
    assert.doesNotMatch(t, /\d[-+]\d|[<>]=?/);
});
