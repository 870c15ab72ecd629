import { describe, it } from 'node:test';
import { DR, runScenario } from './fixtures.js';

describe('dr fixtures', () => {
  for (const s of DR) it(s.desc, () => void runScenario(s));
});
