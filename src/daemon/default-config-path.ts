/**
 * Where `lvsd --config` (and `--check-config`) look when given no file: the paths keepalived and
 * ldirectord use themselves, so an existing installation is picked up as the original tool would.
 */
import { existsSync } from 'node:fs';
import type { ConfigFormat } from '../config/check-config.js';

/** keepalived's default (keepalived(8) `-f`: "default /etc/keepalived/keepalived.conf"). */
export const KEEPALIVED_DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
/** ldirectord's default (ldirectord(8) FILES; a bare name is looked up in /etc/ha.d/conf/). */
export const LDIRECTORD_DEFAULT_CONFIG = '/etc/ha.d/ldirectord.cf';

/**
 * The default file for `format`; with no format, keepalived's when it exists, else ldirectord's
 * when that exists, else keepalived's (which then reports the missing file as keepalived does).
 */
export function defaultConfigPath(
  format: ConfigFormat | undefined,
  exists: (path: string) => boolean = existsSync,
): string {
  if (format === 'ldirectord') return LDIRECTORD_DEFAULT_CONFIG;
  if (format === 'keepalived') return KEEPALIVED_DEFAULT_CONFIG;
  if (exists(KEEPALIVED_DEFAULT_CONFIG)) return KEEPALIVED_DEFAULT_CONFIG;
  return exists(LDIRECTORD_DEFAULT_CONFIG) ? LDIRECTORD_DEFAULT_CONFIG : KEEPALIVED_DEFAULT_CONFIG;
}

/**
 * argv with a bare `--config` or `--check-config` (last, or followed by another option) given the
 * default file, since node's parseArgs has no optional values. Other arguments pass unchanged.
 */
export function withDefaultConfigPaths(
  argv: readonly string[],
  exists: (path: string) => boolean = existsSync,
): string[] {
  const fmtAt = argv.findIndex((a) => a === '--config-format' || a.startsWith('--config-format='));
  const fmtArg =
    fmtAt < 0 ? undefined : argv[fmtAt]?.includes('=') ? argv[fmtAt]?.slice(16) : argv[fmtAt + 1];
  const format = fmtArg === 'keepalived' || fmtArg === 'ldirectord' ? fmtArg : undefined;
  return argv.map((a, i) => {
    if (a !== '--config' && a !== '--check-config') return a;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-')) return a;
    return `${a}=${defaultConfigPath(format, exists)}`;
  });
}
