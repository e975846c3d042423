import { header, headerAll, type Header, type SipRequest, type SipResponse } from './message.js';
import { parseCSeq } from './headers.js';

export const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 183: 'Session Progress', 200: 'OK', 202: 'Accepted',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  407: 'Proxy Authentication Required', 408: 'Request Timeout', 415: 'Unsupported Media Type', 420: 'Bad Extension',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops',
  486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending',
  500: 'Server Internal Error', 501: 'Not Implemented', 503: 'Service Unavailable', 505: 'Version Not Supported', 513: 'Message Too Large', 603: 'Decline',
};

export interface ResponseOptions {
  reason?: string;
  /** Added to To when it has no tag yet. */
  toTag?: string;
  headers?: Header[];
  body?: Buffer;
}

/** A response to `req` (§8.2.6): Via, From, To, Call-ID and CSeq copied. */
export function buildResponse(req: SipRequest | { method: string; headers: Header[] }, status: number, opts: ResponseOptions = {}): SipResponse {
  const copy = (name: string): Header[] => req.headers.filter((h) => h.name === name).map((h) => ({ ...h }));
  const to = copy('To');
  if (opts.toTag && to[0] && !/;\s*tag=/i.test(to[0].value)) to[0].value += `;tag=${opts.toTag}`;
  return {
    type: 'response',
    status,
    reason: opts.reason ?? REASONS[status] ?? 'Unknown',
    headers: [...copy('Via'), ...copy('From'), ...to, ...copy('Call-ID'), ...copy('CSeq'), ...(opts.headers ?? [])],
    body: opts.body ?? Buffer.alloc(0),
  };
}

/** ACK for a non-2xx final response, sent by the INVITE client transaction itself (§17.1.1.3). */
export function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const seq = parseCSeq(header(invite, 'CSeq')!).seq;
  return {
    type: 'request',
    method: 'ACK',
    uri: invite.uri,
    headers: [
      { name: 'Via', value: headerAll(invite, 'Via')[0]! },
      ...invite.headers.filter((h) => h.name === 'Route' || h.name === 'From' || h.name === 'Call-ID' || h.name === 'Max-Forwards'),
      { name: 'To', value: header(res, 'To')! },
      { name: 'CSeq', value: `${seq} ACK` },
    ],
    body: Buffer.alloc(0),
  };
}
