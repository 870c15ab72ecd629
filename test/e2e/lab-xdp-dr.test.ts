import { labSuite } from './lab-suite.js';

labSuite('dr', '192.0.2.10', { xdp: 'on' });
