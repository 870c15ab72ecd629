// The load hook behind record-loads.mjs.
import { appendFileSync } from 'node:fs';

export async function load(url, context, next) {
  if (process.env.LVS_LOAD_LOG) appendFileSync(process.env.LVS_LOAD_LOG, `${url}\n`);
  return next(url, context);
}
