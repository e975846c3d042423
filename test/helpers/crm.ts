import { readFile, mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from '../../daemon/customers/webhook.js';
import { makeCa } from './mosquitto.js';

export interface Hook {
  id: string;
  event: string;
  body: { type: string; data: Record<string, unknown> };
  signed: boolean;
}

/** What the CRM answers a lookup: a JSON body (200), undefined (404), or 'never' (a CRM that hangs). */
export type LookupAnswer = Record<string, unknown> | undefined | 'never';

export interface Crm {
  readonly port: number;
  caFile: string;
  /** Webhook deliveries received. */
  got: Hook[];
  /** Lookups received (crm_lookup), in order. */
  lookups: { number: string; signed: boolean }[];
  down(): Promise<void>;
  up(): Promise<void>;
}

/**
 * A CRM: a real HTTPS server on 127.0.0.1 (its own CA) that checks each request's HMAC signature,
 * takes webhooks on any path and answers lookups on /lookup as `lookup` says.
 */
export async function startCrm(secret: string, lookup: (number: string) => LookupAnswer): Promise<Crm> {
  const dir = await mkdtemp(join(tmpdir(), 'fd-crm-'));
  const { caFile, certFile, keyFile } = await makeCa(dir);
  const got: Hook[] = [];
  const lookups: { number: string; signed: boolean }[] = [];
  const [key, cert] = await Promise.all([readFile(keyFile), readFile(certFile)]);
  let server: Server | undefined;
  let port = 0;
  const up = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server = createServer({ key, cert }, (req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          const ts = String(req.headers['x-frontdesk-timestamp']);
          const signed = req.headers['x-frontdesk-signature'] === sign(secret, ts, raw);
          if (req.url === '/lookup') {
            const number = (JSON.parse(raw) as { number: string }).number;
            lookups.push({ number, signed });
            const a = lookup(number);
            if (a === 'never') return;
            if (a === undefined) return void res.writeHead(404).end();
            return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(a));
          }
          got.push({ id: String(req.headers['x-frontdesk-delivery']), event: String(req.headers['x-frontdesk-event']), body: JSON.parse(raw) as Hook['body'], signed });
          res.writeHead(204).end();
        });
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  await up();
  return {
    get port() {
      return port;
    },
    caFile,
    got,
    lookups,
    down: () => new Promise<void>((r) => (server!.closeAllConnections(), server!.close(() => r()))),
    up,
  };
}
