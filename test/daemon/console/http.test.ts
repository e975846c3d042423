import t from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpApp } from '../../../daemon/console/http.js';

/** A raw request (fetch normalises paths, so `..` could not be sent as it is). */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test("the console's HTTP layer: routes, bodies, cookies, static files, what it refuses", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fd-http-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  await mkdir(root);
  await writeFile(join(root, 'app.js'), 'export const x = 1;\n');
  await writeFile(join(root, 'style.css'), 'body{}');
  await writeFile(join(root, '.secret'), 'no');
  await writeFile(join(dir, 'outside.txt'), 'outside');

  const app = new HttpApp({ bodyLimit: 1024 });
  app.static('/assets/', root);
  app.onSend((reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  app.preHandler(async (req, reply) => {
    if (req.headers['x-block']) return reply.code(403).send({ error: 'blocked' });
  });
  app.get<{ Params: { id: string }; Querystring: { q?: string } }>('/api/items/:id', async (req) => ({ id: req.params.id, q: req.query.q ?? null, cookie: req.cookies.s ?? null }));
  app.post<{ Body: { n?: unknown } }>('/api/echo', async (req, reply) => {
    reply.setCookie('s', 'a b', { httpOnly: true, sameSite: 'strict', path: '/' });
    return { body: req.body ?? null };
  });
  app.get('/boom', async () => {
    throw new Error('bug');
  });
  await app.listen('127.0.0.1', 0);
  t.teardown(() => app.close());
  const port = app.address().port;
  const json = (b: string): unknown => JSON.parse(b);

  const item = await raw(port, 'GET', '/api/items/a%20b?q=x&q=y', { cookie: 's=1; t=2; s=3' });
  t.equal(item.status, 200);
  t.same(json(item.body), { id: 'a b', q: 'x', cookie: '1' }, 'a :param decoded, the first of a repeated query key and cookie');
  t.equal(item.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(item.headers['cache-control'], 'no-store', 'the onSend hook ran');
  const head = await raw(port, 'HEAD', '/api/items/1');
  t.equal(head.status, 200, 'HEAD for a GET route');
  t.equal(head.body, '', 'without a body');

  const nf = await raw(port, 'GET', '/api/nothing');
  t.equal(nf.status, 404);
  t.same(json(nf.body), { message: 'Route GET:/api/nothing not found', error: 'Not Found', statusCode: 404 }, 'unknown route: 404 as JSON');
  t.equal((await raw(port, 'POST', '/api/items/1', { 'content-type': 'application/json' }, '{}')).status, 404, 'a GET route does not answer POST');
  t.equal((await raw(port, 'GET', '/api/items/1', { 'x-block': '1' })).status, 403, 'the preHandler answers first');

  const echo = await raw(port, 'POST', '/api/echo', { 'content-type': 'application/json; charset=utf-8' }, '{"n":1}');
  t.same(json(echo.body), { body: { n: 1 } }, 'a JSON body');
  t.same(echo.headers['set-cookie'], ['s=a%20b; Path=/; HttpOnly; SameSite=Strict'], 'the cookie as set');
  t.same(json((await raw(port, 'POST', '/api/echo', { 'content-type': 'text/plain' }, 'hi')).body), { body: 'hi' }, 'a text body');
  t.same(json((await raw(port, 'POST', '/api/echo')).body), { body: null }, 'no body');
  t.equal((await raw(port, 'POST', '/api/echo', { 'content-type': 'application/json' }, '{bad')).status, 400, 'bad JSON: 400');
  t.equal((await raw(port, 'POST', '/api/echo', { 'content-type': 'application/json' }, '{"a":{"__proto__":{"x":1}}}')).status, 400, 'a __proto__ key: 400');
  t.equal((await raw(port, 'POST', '/api/echo', { 'content-type': 'application/json' }, '{"constructor":{"prototype":{"x":1}}}')).status, 400, 'constructor.prototype: 400');
  t.equal((await raw(port, 'POST', '/api/echo', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1')).status, 415, 'a form: 415');
  t.equal((await raw(port, 'POST', '/api/echo', { 'content-type': 'application/json' }, `{"n":"${'x'.repeat(2000)}"}`)).status, 413, 'over the body limit: 413');
  const boom = await raw(port, 'GET', '/boom');
  t.equal(boom.status, 500, 'a throwing handler: 500');

  const js = await raw(port, 'GET', '/assets/app.js');
  t.equal(js.status, 200);
  t.equal(js.body, 'export const x = 1;\n', 'a static file from disk');
  t.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  t.equal(js.headers['cache-control'], 'no-store');
  t.equal((await raw(port, 'GET', '/assets/style.css')).headers['content-type'], 'text/css; charset=utf-8');
  t.equal((await raw(port, 'GET', '/assets/.secret')).status, 404, 'dot-files are not served');
  t.equal((await raw(port, 'GET', '/assets/../outside.txt')).status, 404, '.. cannot leave the root');
  t.equal((await raw(port, 'GET', '/assets/%2e%2e/outside.txt')).status, 404, 'nor an encoded ..');
  t.equal((await raw(port, 'GET', '/assets/')).status, 404, 'no directory listing');
  t.equal((await raw(port, 'GET', '/assets/missing.js')).status, 404);
});
