#!/usr/bin/env node
// The `kubedispatch` command: checks the Node.js version first, so that an older Node gets a
// sentence saying what to do instead of a loader error from the TypeScript sources.
await import('../scripts/require-node.js');
await import('../src/cli/main.ts');
