import { labSuite } from './lab-suite.js';

labSuite('nat', '203.0.113.10', { xdp: 'on' });
