/**
 * Who may open a signaling WebSocket, decided at the HTTP upgrade (before any WebSocket state exists):
 *
 * - Origin: a browser always sends one. It must be this server's own origin (the Host it was asked for) or
 *   listed in `allowedOrigins`; anything else (a web page elsewhere, `Origin: null`) gets 403. Without an
 *   Origin header (Node peers, tools) the upgrade is accepted: no browser page can omit it, so a page
 *   cannot use this path to drive a room.
 * - Connection caps: at most `connectionsMax` sockets in all, `connectionsPerIpMax` from one address
 *   (everything runs on 127.0.0.1 in tests and a classroom may share a NAT, hence a generous default).
 */
import type { IncomingMessage } from 'node:http';

export interface AdmissionLimits {
  readonly allowedOrigins: readonly string[];
  readonly connectionsMax: number;
  readonly connectionsPerIpMax: number;
}

export type Admission = { readonly ok: true; readonly ip: string } | { readonly ok: false; readonly status: 403 | 503; readonly reason: string };

/** True when `origin` (an Origin header) is the origin of `host` (a Host header) or listed. */
export function originAllowed(origin: string, host: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch (e) {
    void e; // `null` or garbage: not an origin this server serves
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && host !== undefined && url.host === host.toLowerCase();
}

/** Counts open sockets, in all and per address, and decides each new upgrade. */
export function createAdmission(limits: AdmissionLimits) {
  const perIp = new Map<string, number>();
  let total = 0;
  return {
    admit(req: IncomingMessage): Admission {
      const origin = req.headers.origin;
      if (origin !== undefined && !originAllowed(origin, req.headers.host, limits.allowedOrigins)) {
        return { ok: false, status: 403, reason: `origin ${origin.slice(0, 80)} is not allowed (same origin or ALLOWED_ORIGINS only)` };
      }
      const ip = req.socket.remoteAddress ?? 'unknown';
      if (total >= limits.connectionsMax) return { ok: false, status: 503, reason: `server full (${limits.connectionsMax} connections)` };
      if ((perIp.get(ip) ?? 0) >= limits.connectionsPerIpMax) {
        return { ok: false, status: 503, reason: `too many connections from ${ip} (${limits.connectionsPerIpMax})` };
      }
      total += 1;
      perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
      return { ok: true, ip };
    },
    /** Call once for every admitted socket when it closes (or when its upgrade fails). */
    release(ip: string): void {
      total -= 1;
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    },
    get total(): number { return total; },
  };
}
