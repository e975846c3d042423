import { header, headerAll, type SipRequest, type SipResponse } from './message.js';
import { parseCSeq } from './headers.js';
import { parseNameAddr, parseUri, socketHost, uriPort } from './uri.js';
import type { Remote, TransportKind } from './transport.js';

/**
 * Dialog state (RFC 3261 §12): identifiers, sequence numbers, route set and remote target, plus how
 * to build requests inside it. Route sets are used as loose routes (;lr), as every proxy today does.
 */
export interface Dialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From (UAC) / To (UAS) value without tag. */
  localUri: string;
  remoteUri: string;
  /** Contact of the far end: where in-dialog requests go. */
  remoteTarget: string;
  routeSet: string[];
  localSeq: number;
  /** Highest CSeq seen from the far end; -1 when none yet. */
  remoteSeq: number;
  transport: TransportKind;
}

export function dialogKey(callId: string, localTag: string): string {
  return `${callId}\n${localTag}`;
}

function tagOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const t = parseNameAddr(value).params.tag;
    return t ?? undefined;
  } catch {
    return undefined;
  }
}

function withoutTag(value: string): string {
  return value.replace(/;\s*tag=[^;>]*/i, '');
}

export function fromTag(msg: SipRequest | SipResponse): string | undefined {
  return tagOf(header(msg, 'From'));
}

export function toTag(msg: SipRequest | SipResponse): string | undefined {
  return tagOf(header(msg, 'To'));
}

function contactUri(msg: SipRequest | SipResponse): string | undefined {
  const c = header(msg, 'Contact');
  if (!c) return undefined;
  try {
    return parseNameAddr(c).uri ? c.replace(/^.*?<([^>]*)>.*$/s, '$1') : undefined;
  } catch {
    return undefined;
  }
}

/** The dialog a UAC gets from a 2xx (or tagged 1xx) to its INVITE. */
export function uacDialog(invite: SipRequest, res: SipResponse, transport: TransportKind): Dialog {
  return {
    callId: header(invite, 'Call-ID')!,
    localTag: fromTag(invite)!,
    remoteTag: toTag(res) ?? '',
    localUri: withoutTag(header(invite, 'From')!),
    remoteUri: withoutTag(header(res, 'To')!),
    remoteTarget: contactUri(res) ?? invite.uri,
    routeSet: headerAll(res, 'Record-Route').reverse(),
    localSeq: parseCSeq(header(invite, 'CSeq')!).seq,
    remoteSeq: -1,
    transport,
  };
}

/** The dialog a UAS creates when it answers an INVITE with a To tag of its own. */
export function uasDialog(invite: SipRequest, localTag: string, transport: TransportKind): Dialog {
  return {
    callId: header(invite, 'Call-ID')!,
    localTag,
    remoteTag: fromTag(invite) ?? '',
    localUri: withoutTag(header(invite, 'To')!),
    remoteUri: withoutTag(header(invite, 'From')!),
    remoteTarget: contactUri(invite) ?? '',
    routeSet: headerAll(invite, 'Record-Route'),
    localSeq: Math.floor(Math.random() * 10_000),
    remoteSeq: parseCSeq(header(invite, 'CSeq')!).seq,
    transport,
  };
}

/** A new request inside the dialog. ACK reuses the INVITE's CSeq number; everything else increments. */
export function dialogRequest(d: Dialog, method: string, opts: { seq?: number; headers?: { name: string; value: string }[]; body?: Buffer } = {}): SipRequest {
  const seq = opts.seq ?? (method === 'ACK' || method === 'CANCEL' ? d.localSeq : ++d.localSeq);
  return {
    type: 'request',
    method,
    uri: d.remoteTarget,
    headers: [
      ...d.routeSet.map((r) => ({ name: 'Route', value: r })),
      { name: 'From', value: `${d.localUri};tag=${d.localTag}` },
      { name: 'To', value: d.remoteTag ? `${d.remoteUri};tag=${d.remoteTag}` : d.remoteUri },
      { name: 'Call-ID', value: d.callId },
      { name: 'CSeq', value: `${seq} ${method}` },
      ...(opts.headers ?? []),
    ],
    body: opts.body ?? Buffer.alloc(0),
  };
}

/** Where an in-dialog request is sent: the first route, else the remote target. */
export function dialogDestination(d: Dialog): Remote {
  const first = d.routeSet[0];
  const uri = parseUri(first ? first.replace(/^.*?<([^>]*)>.*$/s, '$1') : d.remoteTarget);
  const t = uri.params.transport?.toLowerCase();
  return { transport: t === 'tcp' || t === 'udp' ? t : d.transport, address: socketHost(uri.host), port: uriPort(uri) };
}
