// `node --import ./test/helpers/record-loads.mjs ...`: appends the URL of every module the ESM
// loader loads (node: builtins included) to the file named by LVS_LOAD_LOG, so a test can see what
// a program imports. The hooks run on the loader's own thread (module.register, Node >= 20.6).
import { register } from 'node:module';

register('./record-loads-hooks.mjs', import.meta.url);
