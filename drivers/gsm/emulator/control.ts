import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { readWav, writeWav } from '../../audio/wav.js';
import { resample } from '../../audio/resample.js';
import { dtmfTones, tone } from '../../audio/tones.js';
import { SAMPLE_RATE } from '../../media/format.js';
import type { ModemEmulator } from './modem.js';

/**
 * The emulator's control channel: JSON lines on a unix socket. Each request is one object with a
 * "cmd" (and an optional "id" echoed back); each answer is one line {"id","ok":true,...} or
 * {"id","ok":false,"error"}. See drivers/gsm/README.md for the command list.
 */
export type ControlRequest = { cmd: string; id?: string | number } & Record<string, unknown>;

export async function handleControl(modem: ModemEmulator, req: ControlRequest): Promise<Record<string, unknown>> {
  const str = (k: string): string => {
    const v = req[k];
    if (typeof v !== 'string') throw new Error(`"${k}" must be a string`);
    return v;
  };
  const num = (k: string, dflt?: number): number => {
    const v = req[k] ?? dflt;
    if (typeof v !== 'number') throw new Error(`"${k}" must be a number`);
    return v;
  };
  switch (req.cmd) {
    case 'status':
      return { sim: modem.sim, muted: modem.muted, booting: modem.booting, resets: modem.resets.length, unplugged: modem.unplugged, storedSms: modem.storedSms, ...modem.paths };
    case 'ring':
      modem.ring(str('number'), req.clip !== false);
      return {};
    case 'hangup':
      modem.hangup();
      return {};
    case 'play': {
      let pcm: Buffer;
      if (typeof req.wav === 'string') {
        const w = await readWav(req.wav);
        const s = w.sampleRate === SAMPLE_RATE ? w.samples : resample(w.samples, w.sampleRate, SAMPLE_RATE);
        pcm = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
      } else if (Array.isArray(req.tone)) {
        pcm = tone(req.tone.map(Number), num('ms', 1000), num('level', -10));
      } else if (typeof req.dtmf === 'string') {
        pcm = dtmfTones(req.dtmf);
        if (req.urc !== false) for (const d of req.dtmf) modem.dtmfUrc(d);
      } else throw new Error('play needs "wav", "tone" or "dtmf"');
      return { frames: modem.play(pcm) };
    }
    case 'stop-playing':
      modem.stopPlaying();
      return {};
    case 'recording':
      return modem.recordingStats();
    case 'save-recording': {
      const pcm = Buffer.concat(modem.recording.map((r) => r.frame));
      await writeWav(str('file'), pcm, SAMPLE_RATE);
      return { frames: modem.recording.length };
    }
    case 'clear-recording':
      modem.clearRecording();
      return {};
    case 'sms':
      return { slots: modem.deliverSms(str('from'), str('text')) };
    case 'sent-sms':
      return { messages: modem.sentSms };
    case 'sent-pdus':
      return { pdus: modem.submittedPdus };
    case 'status-report':
      return { slot: modem.deliverStatusReport(num('mr'), str('to'), num('status', 0)) };
    case 'sms-reports': {
      const v = req.status;
      if (v !== 'none' && typeof v !== 'number') throw new Error('status: a TP-ST number or "none"');
      modem.reportStatus = v;
      return {};
    }
    case 'fail-submits':
      modem.failSubmits = num('count', 1);
      return {};
    case 'urc':
      modem.urc(str('line'));
      return {};
    case 'interleave':
      modem.interleaveNext(str('urc'));
      return {};
    case 'garbage':
      modem.garbage(num('bytes', 64), req.lineEnds === true);
      return {};
    case 'mute':
      modem.mute(typeof req.ms === 'number' ? req.ms : undefined, req.survivesReset === true);
      return {};
    case 'unmute':
      modem.unmute();
      return {};
    case 'delay':
      modem.delay(str('command'), num('ms'));
      return {};
    case 'unplug':
      await modem.unplug(typeof req.ms === 'number' ? req.ms : undefined);
      return {};
    case 'replug':
      await modem.replug();
      return {};
    case 'sim': {
      const s = str('state');
      if (s !== 'ready' && s !== 'pin' && s !== 'missing') throw new Error('state: ready | pin | missing');
      modem.setSim(s);
      return {};
    }
    case 'dial-outcome': {
      const o = str('outcome');
      if (o !== 'answer' && o !== 'busy' && o !== 'no-answer') throw new Error('outcome: answer | busy | no-answer');
      if (typeof req.number === 'string') modem.dialOutcomes.set(req.number, o);
      else modem.dialOutcome = o;
      return {};
    }
    case 'log': {
      const since = typeof req.since === 'number' ? req.since : 0;
      return { commands: modem.commands.slice(since).map((c) => c.line), next: modem.commands.length };
    }
    default:
      throw new Error(`unknown cmd ${String(req.cmd)}`);
  }
}

export function serveControl(modem: ModemEmulator, path: string): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((sock: Socket) => {
    let buf = '';
    sock.on('data', (b) => {
      buf += b.toString('utf8');
      if (buf.length > 1 << 20) return sock.destroy();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) void answer(line); // answer catches and replies with the error
      }
    });
    sock.on('error', () => undefined);
    const answer = async (line: string): Promise<void> => {
      let id: unknown;
      try {
        const req = JSON.parse(line) as ControlRequest;
        id = req.id;
        const res = await handleControl(modem, req);
        sock.write(JSON.stringify({ id, ok: true, ...res }) + '\n');
      } catch (err) {
        sock.write(JSON.stringify({ id, ok: false, error: (err as Error).message }) + '\n');
      }
    };
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}
