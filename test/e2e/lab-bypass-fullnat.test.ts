import { bypassSuite } from './lab-bypass-suite.js';

bypassSuite('fullnat');
