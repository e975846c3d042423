import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { toneLevel } from '../../../drivers/audio/tones.js';
import { candidateFilter } from '../../../drivers/webrtc/ice.js';
import { StreamResampler } from '../../../drivers/webrtc/resample.js';
import { LoginLimiter } from '../../../daemon/console/auth.js';
import { ConfigError, parseConfig } from '../../../daemon/config/load.js';

t.test('ICE candidates outside console.webrtc.networks are dropped both ways', async (t) => {
  const sdp = ['v=0', 'a=candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host', 'a=candidate:2 1 udp 2122194687 127.0.0.1 50001 typ host', 'a=candidate:3 1 udp 2122129151 ::1 50002 typ host', 'a=candidate:4 1 udp 2122129151 abcd-1234.local 50003 typ host', 'a=end-of-candidates', ''].join('\r\n');
  const loop = candidateFilter(['127.0.0.1/32', '::1/128'])(sdp);
  t.notMatch(loop, /192\.0\.2\.2/, 'another network: dropped');
  t.notMatch(loop, /\.local/, 'mDNS: dropped');
  t.match(loop, /127\.0\.0\.1 50001/, 'loopback v4 kept');
  t.match(loop, /::1 50002/, 'loopback v6 kept');
  t.match(loop, /a=end-of-candidates/, 'other lines kept');
  t.equal(candidateFilter(undefined)(sdp), sdp, 'no list: everything allowed');
});

t.test('streaming resampler: 48 kHz in 10 ms chunks → 8 kHz without losing or adding time, tone intact', async (t) => {
  const r = new StreamResampler(48000, 8000);
  const out: number[] = [];
  let phase = 0;
  for (let chunk = 0; chunk < 100; chunk++) {
    const c = new Int16Array(480);
    for (let i = 0; i < 480; i++) c[i] = Math.round(10000 * Math.sin((2 * Math.PI * 1000 * phase++) / 48000));
    out.push(...r.push(c));
  }
  t.ok(Math.abs(out.length - 8000) <= 1, `1 s in, ${out.length} samples out`);
  const pcm = Int16Array.from(out.slice(100));
  t.ok(toneLevel(pcm, 1000) > 0.2, `1 kHz kept (${toneLevel(pcm, 1000).toFixed(3)})`);
  t.ok(toneLevel(pcm, 3000) < 0.01, 'no aliasing');
});

t.test('login limiter: five failures free, then a lock that grows; success clears', async (t) => {
  let now = 0;
  const l = new LoginLimiter(() => now);
  for (let i = 0; i < 4; i++) l.fail(['ip:a']);
  t.equal(l.wait(['ip:a']), 0, 'four failures: no lock');
  l.fail(['ip:a']);
  t.equal(l.wait(['ip:a']), 30_000, 'fifth: 30 s');
  now += 30_000;
  l.fail(['ip:a']);
  t.equal(l.wait(['ip:a']), 60_000, 'sixth: 60 s');
  t.equal(l.wait(['ip:b']), 0, 'other keys unaffected');
  l.succeed(['ip:a']);
  t.equal(l.wait(['ip:a']), 0, 'success clears');
});

t.test('console users are checked against the config: agents need an existing extension, names are unique', async (t) => {
  const base = `site: s\nnode: n\nlines:\n  - { id: gsm1, kind: gsm, modem: huawei, at_port: /dev/x, voice_port: /dev/y }\nagents:\n  - { extension: "801", name: A }\nbot:\n  greeting: hi\n`;
  const hash = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
  const issues = (users: string): string[] => {
    try {
      parseConfig(`${base}console:\n  users:\n${users}`, 'x.yaml', {});
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
      throw err;
    }
  };
  t.same(issues(`    - { name: a, role: agent, extension: "801", password_hash: "${hash}" }\n`), [], 'a valid agent login');
  t.match(issues(`    - { name: a, role: agent, password_hash: "${hash}" }\n`).join('\n'), /role agent but no extension/);
  t.match(issues(`    - { name: a, role: agent, extension: "899", password_hash: "${hash}" }\n`).join('\n'), /no agent with extension "899"/);
  t.match(issues(`    - { name: a, role: admin, password_hash: "${hash}" }\n    - { name: a, role: supervisor, password_hash: "${hash}" }\n`).join('\n'), /duplicate console user "a"/);
  t.match(issues(`    - { name: a, role: admin, password_hash: "hunter2" }\n`).join('\n'), /password_hash/, 'a plain password is refused');
  t.match(issues(`    - { name: a, role: admin, password_hash: "${hash}" }\n  web_callers: { line_id: gsm1 }\n`).join('\n'), /line id "gsm1" is already a line's/, 'the web callers\' line id is its own');
});

t.test('console texts: every key in both languages, every key a page uses defined', async (t) => {
  const dir = fileURLToPath(new URL('../../../../daemon/console/public/', import.meta.url));
  const src = await readFile(join(dir, 'console.js'), 'utf8');
  const literal = /const T = (\{[\s\S]*?\n\});/.exec(src)?.[1];
  t.ok(literal, 'the text table');
  // The table is a plain object literal: evaluate it alone, in an empty context.
  const texts = runInNewContext(`(${literal ?? '{}'})`) as Record<'en' | 'zh', Record<string, string>>;
  const en = Object.keys(texts.en), zh = Object.keys(texts.zh);
  t.same(en.filter((k) => !zh.includes(k)), [], 'no English text without Chinese');
  t.same(zh.filter((k) => !en.includes(k)), [], 'no Chinese text without English');
  const used = new Set<string>();
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.js') || n.endsWith('.html'))) {
    const page = await readFile(join(dir, f), 'utf8');
    for (const m of page.matchAll(/\bt\(\s*['"]([\w-]+)['"]/g)) used.add(m[1]!);
    for (const m of page.matchAll(/data-t="([\w-]+)"/g)) used.add(m[1]!);
  }
  t.ok(used.size > 50, `${used.size} keys used by the pages`);
  t.same([...used].filter((k) => !en.includes(k)), [], 'every key a page names is in the table');
});
