import t from 'tap';
import { DLE, DleDecoder, ETX, shield } from '../../../drivers/analog/dle.js';
import { chooseFormat, fromS16, parseVsmLine, toS16 } from '../../../drivers/analog/formats.js';
import { CallerIdBlock } from '../../../drivers/analog/caller-id.js';
import { DEFAULT_VSM } from '../../../drivers/analog/emulator/index.js';
import { tone } from '../../../drivers/audio/tones.js';

t.test('AT+VSM=? parsing: 16-bit linear at 8 kHz wins, G.711 and 8-bit linear are fallbacks', async (t) => {
  t.match(chooseFormat(DEFAULT_VSM), { cml: 133, kind: 's16' }, 'Conexant style: SIGNED PCM, 16 bits');
  const usr = ['128,"8-BIT LINEAR",(7200,8000,11025)', '129,"16-BIT LINEAR",(7200,8000,11025)', '130,"8-BIT ALAW",(8000)', '131,"8-BIT ULAW",(8000)', '132,"ADPCM (IMA)",(7200,8000,11025)'];
  t.match(chooseFormat(usr), { cml: 129, kind: 's16' }, 'USR style: 16-BIT LINEAR');
  t.match(chooseFormat(usr.filter((l) => !l.includes('16-BIT'))), { cml: 131, kind: 'ulaw' }, 'µ-law next');
  t.match(chooseFormat(['+VSM: 132,"G.711A",8,0,8000,0,0', '+VSM: 128,"8-BIT LINEAR",8,0,(8000),(0),(0)']), { cml: 132, kind: 'alaw' }, '+VSM: prefix, A-law');
  t.match(chooseFormat(['128,"8-BIT LINEAR",(7200,8000,11025)']), { kind: 'u8' }, '8-bit linear is unsigned');
  t.equal(parseVsmLine('129,"16-BIT LINEAR",(7200,11025)'), undefined, 'no 8 kHz: unusable');
  t.equal(parseVsmLine('140,"IMA ADPCM",4,0,(8000),(0),(0)'), undefined, 'ADPCM: unusable');
  t.equal(chooseFormat(['garbage', '']), undefined);
});

t.test('sample conversion round trips within each format', async (t) => {
  const pcm = tone([1000], 20, -6);
  t.same(toS16(fromS16(pcm, 's16'), 's16'), pcm, 's16 is exact');
  for (const k of ['ulaw', 'alaw', 'u8', 's8'] as const) {
    const back = toS16(fromS16(pcm, k), k);
    t.equal(back.length, 320, `${k}: 320-byte frame`);
    let maxErr = 0;
    for (let i = 0; i < 160; i++) maxErr = Math.max(maxErr, Math.abs(back.readInt16LE(i * 2) - pcm.readInt16LE(i * 2)));
    t.ok(maxErr < 1200, `${k}: max error ${maxErr}`);
  }
});

t.test('DLE shielding: doubled on the way out, undone and events split out on the way in, across chunk edges', async (t) => {
  const data = Buffer.from([1, DLE, 2, DLE, DLE, 3]);
  const sh = shield(data);
  t.same([...sh], [1, DLE, DLE, 2, DLE, DLE, DLE, DLE, 3]);
  t.equal(shield(Buffer.from([1, 2, 3])).length, 3);
  const stream = Buffer.concat([sh, Buffer.from([DLE, 0x35]), sh, Buffer.from([DLE, ETX]), Buffer.from('\r\nOK\r\n')]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const got: number[] = [];
    const events: number[] = [];
    const d = new DleDecoder({ data: (b) => got.push(...b), event: (c) => events.push(c) });
    let rest = '';
    for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
      if (rest) {
        rest += part.toString('latin1');
        continue;
      }
      const end = d.push(part);
      if (end >= 0) rest = part.subarray(end).toString('latin1') || ' ';
    }
    if (!(t.same(got, [...data, ...data]) && t.same(events, [0x35, ETX]) && t.equal(rest.trim(), 'OK'))) {
      t.comment(`failed at cut ${cut}`);
      break;
    }
  }
});

t.test('caller ID block', async (t) => {
  const c = new CallerIdBlock();
  for (const l of ['DATE = 0321', 'TIME = 1405', 'NMBR = 5551234', 'NAME = JOHN DOE']) t.ok(c.add(l));
  t.notOk(c.add('RING'));
  t.same(c.party(), { number: '5551234', name: 'JOHN DOE' });
  const p = new CallerIdBlock();
  p.add('NMBR = P');
  p.add('NAME = O');
  t.same(p.party(), {}, 'withheld / unavailable');
});
