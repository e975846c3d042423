import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startBroker, type Broker } from './mosquitto.js';

/**
 * "Central IT" for tests: an mqtt.js v5 subscriber with a persistent session (clean start false,
 * session expiry), as a real monitoring consumer would run, collecting every message it gets.
 */
export interface Received {
  topic: string;
  text: string;
  json: unknown;
  retain: boolean;
  packet: IPublishPacket;
}

export interface Central {
  client: MqttClient;
  readonly messages: Received[];
  waitFor(pred: (m: Received) => boolean, ms?: number, what?: string): Promise<Received>;
  waitUntil(cond: () => boolean, ms?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/** A local broker (mosquitto) and central subscribed to `topics` on it, both closed when the test ends. */
export async function brokerAndCentral(t: { teardown(fn: () => unknown): void }, topics: string[]): Promise<{ broker: Broker; central: Central }> {
  const broker = await startBroker();
  t.teardown(() => broker.close());
  const central = await connectCentral(broker.url, topics);
  t.teardown(() => central.close());
  return { broker, central };
}

export async function connectCentral(url: string, topics: string[], opts: { ca?: string; username?: string; password?: string } = {}): Promise<Central> {
  const client = mqtt.connect(url, {
    protocolVersion: 5,
    clientId: `central-${randomUUID().slice(0, 8)}`,
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    reconnectPeriod: 200,
    connectTimeout: 5000,
    ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}),
    ...(opts.username ? { username: opts.username, password: opts.password ?? '' } : {}),
  });
  client.on('error', () => undefined);
  const messages: Received[] = [];
  const waiters: (() => void)[] = [];
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    messages.push({ topic, text, json, retain: packet.retain, packet });
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('central: cannot connect')), 10_000);
    client.once('connect', () => (clearTimeout(t), resolve()));
  });
  await client.subscribeAsync(topics.map((t) => t), { qos: 1 });
  const waitUntil = (cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`central: timed out waiting for ${what}; got ${messages.length} message(s): ${messages.slice(-5).map((m) => `${m.topic} ${m.text.slice(0, 200)}`).join(' | ')}`)), ms);
      const check = (): void => {
        if (cond()) {
          clearTimeout(t);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return {
    client,
    messages,
    waitUntil,
    async waitFor(pred, ms, what) {
      await waitUntil(() => messages.some(pred), ms, what);
      return messages.find(pred)!;
    },
    close: async () => {
      await client.endAsync(true).catch(() => undefined);
    },
  };
}

/** One MQTT v5 request/reply on cmd/<name>, as central IT sends it. */
export async function command(url: string, name: string, payload: object, node = 'frontdesk/test/box-1'): Promise<{ ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } }> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `it-${randomUUID().slice(0, 6)}`, reconnectPeriod: 0 });
  try {
    const replyTopic = `it/replies/${randomUUID().slice(0, 6)}`;
    await c.subscribeAsync(replyTopic, { qos: 1 });
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('{"ok":false,"error":{"code":"test-timeout","message":"no reply"}}'), 60_000);
      c.on('message', (_t, p) => resolve(p.toString()));
    });
    await c.publishAsync(`${node}/cmd/${name}`, JSON.stringify(payload), { qos: 1, properties: { responseTopic: replyTopic, correlationData: Buffer.from('x') } });
    const text = await reply;
    clearTimeout(timer);
    return JSON.parse(text) as never;
  } finally {
    await c.endAsync(true);
  }
}
