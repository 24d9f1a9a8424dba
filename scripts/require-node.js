// Stops with a sentence saying what to do when this Node.js is older than package.json's
// `engines.node` (the one home of the required version). Plain JavaScript that any Node.js since 14
// parses: the sources themselves need type stripping, which older versions lack.
import { readFileSync } from 'node:fs';

const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const required = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(engines);
if (!required) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR.PATCH", not "${engines}"`);
const want = required.slice(1).map(Number);
const have = process.versions.node.split('.').map(Number);
const older = have[0] !== want[0] ? have[0] < want[0] : have[1] !== want[1] ? have[1] < want[1] : have[2] < want[2];
if (older) {
  process.stderr.write(
    `kubedispatch needs Node.js ${want.join('.')} or newer (it runs its TypeScript sources directly); this is Node.js ${process.versions.node}.\n` +
      'Fix: in the repository, run `. scripts/use-node24.sh` (it installs Node.js 24 LTS from the npm registry into a cache once and puts it first on PATH), then run the command again.\n',
  );
  process.exit(1);
}
