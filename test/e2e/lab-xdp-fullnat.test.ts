import { labSuite } from './lab-suite.js';

labSuite('fullnat', '198.51.100.100', { xdp: 'on' });
