/** Public API of LVS.ts: the pure IPVS core, for embedding in other TypeScript code. */
export const IPVS_VERSION = '1.2.1';
