import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/net.js';

t.test('fetch-models offline: a clear message and exit 1, nothing half-installed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-models-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort(1); // nothing listens there: as good as no route
  const r = spawnSync(process.execPath, [join(distRoot, 'scripts/fetch-models.js'), '--dir', dir, '--base-url', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 1, 'exit 1');
  t.match(r.stderr, /cannot download .*vosk-model-small-cn-0\.22\.zip/, 'names what it tried');
  t.match(r.stderr, /offline/, 'says the machine looks offline');
  t.match(r.stderr, /DTMF-only/, 'and what the box does meanwhile');
  t.same(await readdir(dir), [], 'nothing left behind');
});
