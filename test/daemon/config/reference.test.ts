import t from 'tap';
import { readFile } from 'node:fs/promises';
import { repoRoot } from '../../helpers/paths.js';
import { withReference } from '../../../scripts/gen-readme.js';

t.test('the README config reference matches the schema', async (t) => {
  const readme = await readFile(`${repoRoot}/README.md`, 'utf8');
  t.equal(readme, withReference(readme), 'run `node dist/scripts/gen-readme.js` after changing the schema');
  t.match(readme, /`lines\[\]\.at_port`/);
});
