/**
 * The failover race's advert watch, run in the client's namespace with `node --import tsx`:
 * joins 224.0.0.18 on eth0 through lvsd's own VRRP socket (src/io/vrrp/vrrp-socket.ts) and
 * prints `<Date.now()> <source>` for every advert heard, so the bench can place its kill at a
 * chosen point between two of the master's adverts. Exits after MAX_MS.
 */
import { loadVrrpBinding } from '../../src/io/vrrp/vrrp-binding.js';
import { VrrpSocket } from '../../src/io/vrrp/vrrp-socket.js';

const maxMs = Number(process.argv[2] ?? 60_000);
const sock = new VrrpSocket(
  loadVrrpBinding(),
  { af: 4, ifname: 'eth0', unicastPeers: [] },
  undefined,
  [],
  (d) => process.stdout.write(`${Date.now()} ${d.src}\n`),
  (e) => process.stderr.write(`${e.message}\n`),
);
setTimeout(() => {
  sock.close();
  process.exit(0);
}, maxMs);
