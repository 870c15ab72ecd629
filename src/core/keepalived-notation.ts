/**
 * Virtual and real servers written as keepalived 2.2.7 writes them in its log, so an operator's
 * alerts and greps keep matching: keepalived/check/check_data.c format_vs() (FMT_VS) gives
 * `[192.0.2.10]:tcp:80` for an address service, `FWM 1` for a firewall-mark one and
 * `[VSG_1]:0` for a virtual_server_group; format_rs() (FMT_RS) gives the real server with the
 * virtual server's protocol, `[198.51.100.12]:tcp:8081` (`none` for a fwmark service, whose
 * service_type is 0). Both go through lib/utils.c inet_sockaddrtotrio_r(): `[%s]:%s:%d`, the
 * address bracketed for IPv4 and IPv6 alike.
 */
import { PROTO, type ServiceKey } from './types.js';

const PROTO_WORD: Readonly<Record<number, string>> = {
  [PROTO.TCP]: 'tcp',
  [PROTO.UDP]: 'udp',
  [PROTO.SCTP]: 'sctp',
};

/** keepalived's protocol word for a service (inet_sockaddrtotrio_r(): `none` for protocol 0). */
function protoWord(key: ServiceKey): string {
  return key.kind === 'fwmark' ? 'none' : (PROTO_WORD[key.protocol] ?? '?');
}

/** A virtual service as keepalived's FMT_VS writes it: `[192.0.2.10]:tcp:80` or `FWM 1`. */
export function vsNotation(key: ServiceKey): string {
  return key.kind === 'fwmark' ? `FWM ${key.fwmark}` : `[${key.addr}]:${protoWord(key)}:${key.port}`;
}

/** A real server of `service` as keepalived's FMT_RS writes it: `[198.51.100.12]:tcp:8081`. */
export function rsNotation(
  dest: { readonly addr: string; readonly port: number },
  service: ServiceKey,
): string {
  return `[${dest.addr}]:${protoWord(service)}:${dest.port}`;
}

const SERVICE_TEXT = /^(TCP|UDP|SCTP) (?:\[([^\]]+)\]|([^\s:]+)):(\d+)$/;
const FWM_TEXT = /^FWM (\d+)( IPv6)?$/;
const GROUP_ID = /^group (\S+) (TCP|UDP|SCTP)$/;

/**
 * The protocol word of a service written as serviceKeyText writes it (`TCP 192.0.2.10:80`,
 * `FWM 1`) or as a virtual_server_group's id (`group VSG_1 TCP`); undefined for other text.
 */
function protoOfText(text: string): string | undefined {
  const word = SERVICE_TEXT.exec(text)?.[1] ?? GROUP_ID.exec(text)?.[2];
  if (word !== undefined) return word.toLowerCase();
  return FWM_TEXT.test(text) ? 'none' : undefined;
}

/**
 * A service written as serviceKeyText writes it, or a group's id, in keepalived's notation
 * (`TCP 192.0.2.10:80` → `[192.0.2.10]:tcp:80`, `group VSG_1 TCP` → `[VSG_1]:0`, as format_vs()
 * writes a group, whose own address and port are unset); other text is returned as it is.
 */
export function serviceTextNotation(text: string): string {
  const m = SERVICE_TEXT.exec(text);
  if (m) return `[${m[2] ?? m[3]}]:${protoOfText(text)}:${m[4]}`;
  const f = FWM_TEXT.exec(text);
  if (f) return `FWM ${f[1]}`;
  const g = GROUP_ID.exec(text);
  if (g) return `[${g[1]}]:0`;
  return text;
}

const DEST_TEXT = /^(?:\[([^\]]+)\]|([^\s:[\]]+)):(\d+)$/;

/**
 * A real server written `198.51.100.12:8081` or `[2001:db8::5]:443`, of the service written
 * `service` (as serviceTextNotation takes it), in keepalived's notation
 * (`[198.51.100.12]:tcp:8081`); other text is returned as it is.
 */
export function destTextNotation(dest: string, service: string): string {
  const m = DEST_TEXT.exec(dest);
  const proto = protoOfText(service);
  if (!m || proto === undefined) return dest;
  return `[${m[1] ?? m[2]}]:${proto}:${m[3]}`;
}
