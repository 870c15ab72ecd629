import { labSuite } from './lab-suite.js';

labSuite('tun', '192.0.2.10', { xdp: 'on' });
