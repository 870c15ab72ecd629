import { describe, it } from 'node:test';
import { runScenario, TUN } from './fixtures.js';

describe('tun fixtures', () => {
  for (const s of TUN) it(s.desc, () => void runScenario(s));
});
