import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkModelDir } from '../daemon/speech/worker/vosk.js';

/**
 * Downloads the standard small Vosk models for installers with internet access, with a progress
 * bar and a sha256 check, and unpacks them where the config points (default
 * /var/lib/frontdesk/models). Offline it fails at once with what to do instead.
 *
 *   node dist/scripts/fetch-models.js [--dir DIR] [--base-url URL] [--sha256 NAME=HEX] [name ...]
 *
 * The checksums below were taken from published install scripts that pin these archives; they
 * were not re-verified here (no internet on the build machine). If upstream republishes an
 * archive, pass the new sum with --sha256 after checking it another way.
 */
const MODELS: Record<string, { lang: string; sha256: string }> = {
  'vosk-model-small-cn-0.22': { lang: 'zh', sha256: '3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba' },
  'vosk-model-small-en-us-0.15': { lang: 'en', sha256: '30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498' },
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const dir = arg('--dir') ?? '/var/lib/frontdesk/models';
const base = (arg('--base-url') ?? process.env['FRONTDESK_MODELS_URL'] ?? 'https://alphacephei.com/vosk/models/').replace(/\/?$/, '/');
const sums = new Map(process.argv.flatMap((a, i) => (process.argv[i - 1] === '--sha256' ? [a.split('=') as [string, string]] : [])));
const skip = new Set(['--dir', '--base-url', '--sha256']);
const names = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !skip.has(all[i - 1] ?? ''));
const wanted = names.length ? names : Object.keys(MODELS);

function fail(msg: string): never {
  process.stderr.write(`fetch-models: ${msg}\n`);
  process.exit(1);
}

function bar(done: number, total: number | undefined): string {
  if (!total) return `${(done / 1e6).toFixed(1)} MB`;
  const w = 30;
  const f = Math.round((done / total) * w);
  return `[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${((done / total) * 100).toFixed(0).padStart(3)}% ${(done / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`;
}

async function fetchOne(name: string): Promise<void> {
  const target = join(dir, name);
  if (existsSync(target) && !checkModelDir(target)) {
    console.log(`${name}: already installed in ${target}`);
    return;
  }
  const expected = sums.get(name) ?? MODELS[name]?.sha256;
  if (!expected) fail(`unknown model ${name}: give its checksum with --sha256 ${name}=<hex> (known: ${Object.keys(MODELS).join(', ')})`);
  const url = `${base}${name}.zip`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    fail(
      `cannot download ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}.\n` +
        `This machine looks offline. Download ${name}.zip on a machine with internet (from ${base}), check its sha256 is ${expected},\n` +
        `unzip it into ${dir}/ so that ${target}/am/final.mdl exists, and point speech.asr.model(s) at it. Until then the box runs DTMF-only.`,
    );
  }
  if (!res.ok || !res.body) fail(`${url}: HTTP ${res.status}`);
  await mkdir(dir, { recursive: true });
  const zip = join(dir, `.${name}.zip.part`);
  const total = Number(res.headers.get('content-length')) || undefined;
  const hash = createHash('sha256');
  const out = createWriteStream(zip);
  let done = 0;
  let lastDraw = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    done += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    if (process.stderr.isTTY && Date.now() - lastDraw > 200) {
      lastDraw = Date.now();
      process.stderr.write(`\r${name} ${bar(done, total)}`);
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  process.stderr.write(`\r${name} ${bar(done, total ?? done)}\n`);
  const got = hash.digest('hex');
  if (got !== expected) {
    await rm(zip, { force: true });
    fail(`${name}.zip checksum mismatch: expected ${expected}, got ${got}. Not installed.`);
  }
  const tmp = join(dir, `.${name}.unpack`);
  await rm(tmp, { recursive: true, force: true });
  const unzip = spawnSync('unzip', ['-q', zip, '-d', tmp], { stdio: 'inherit' });
  if (unzip.status !== 0) fail(`could not unpack ${zip} (is unzip installed?)`);
  await rm(target, { recursive: true, force: true });
  await rename(join(tmp, name), target);
  await rm(tmp, { recursive: true, force: true });
  await rm(zip, { force: true });
  const problem = checkModelDir(target);
  if (problem) fail(problem);
  console.log(`${name}: installed in ${target} (sha256 ok)`);
}

for (const name of wanted) await fetchOne(name);
