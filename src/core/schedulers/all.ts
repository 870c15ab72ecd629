/**
 * Every kernel scheduler by its ipvsadm name (`none` is not one: the service table runs such a
 * service without a scheduler). index.ts seeds its registry from this map.
 */
import { createDh } from './dh.js';
import { createFo } from './fo.js';
import { createLblc } from './lblc.js';
import { createLblcr } from './lblcr.js';
import { createLc } from './lc.js';
import { createMh } from './mh.js';
import { createNq } from './nq.js';
import { createOvf } from './ovf.js';
import { createRr } from './rr.js';
import type { SchedulerFactory } from './scheduler.js';
import { createSed } from './sed.js';
import { createSh } from './sh.js';
import { createTwos } from './twos.js';
import { createWlc } from './wlc.js';
import { createWrr } from './wrr.js';

/** The 14 schedulers of net/netfilter/ipvs, in the order `ipvsadm -h` lists them. */
export const BUILTIN_SCHEDULERS: Readonly<Record<string, SchedulerFactory>> = {
  rr: createRr,
  wrr: createWrr,
  lc: createLc,
  wlc: createWlc,
  fo: createFo,
  ovf: createOvf,
  lblc: createLblc,
  lblcr: createLblcr,
  dh: createDh,
  sh: createSh,
  sed: createSed,
  nq: createNq,
  twos: createTwos,
  mh: createMh,
};
