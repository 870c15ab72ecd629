/**
 * What `lvsd --bgp` needs from the host to drive BIRD (issue 18): write the include file, and send
 * one command on BIRD's control socket. The real one (bird-socket.ts) speaks the socket protocol
 * directly; fake-bird-port.ts stands in for tests.
 */
import type { BirdReply } from '../../config/bird/bird-reply.js';

/** The include file and BIRD's control socket. */
export interface BirdPort {
  /**
   * Replaces the include file's content atomically (a temporary file beside it, then rename(2)),
   * so BIRD never reads half a file. Rejects with code ERR_LVS_BGP_INCLUDE.
   */
  writeInclude(text: string): Promise<void>;
  /**
   * Sends one cli command (`configure`, `show protocols`) and resolves with BIRD's reply, an
   * error reply included. Rejects with ERR_LVS_BIRD_UNREACHABLE (no socket, refused),
   * ERR_LVS_BIRD_TIMEOUT or ERR_LVS_BIRD_REPLY (a broken reply).
   */
  command(line: string): Promise<BirdReply>;
}
