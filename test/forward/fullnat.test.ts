import { describe, it } from 'node:test';
import { FULLNAT, runScenario } from './fixtures.js';

describe('fullnat fixtures', () => {
  for (const s of FULLNAT) it(s.desc, () => void runScenario(s));
});
