import { describe, it } from 'node:test';
import { NAT, runScenario } from './fixtures.js';

describe('nat fixtures', () => {
  for (const s of NAT) it(s.desc, () => void runScenario(s));
});
