// Import rules of the source tree (docs/design.md, "Source layout"). `npm run check:imports` runs them
// in CI. Layers, highest first; a module imports its own layer or lower ones, never a higher one:
const layers = [
  { name: 'entry points', path: '^(bin|workers|src/cli)/' },
  { name: 'processes', path: '^src/(processes|demo)/' },
  { name: 'adapters', path: '^src/http/' },
  { name: 'services', path: '^src/(scheduler|dispatch|watch)/' },
  { name: 'run lifecycle', path: '^src/(runs|callback)/' },
  { name: 'domain', path: '^src/(render|project|executor-config|mage)/' },
  { name: 'infrastructure', path: '^src/(k8s|redis|config|observability|errors|input)/' },
];

const upward = layers.slice(1).map((layer, index) => ({
  name: `no-upward-from-${layer.name.replace(/ /g, '-')}`,
  comment: `${layer.name} must not import ${layers
    .slice(0, index + 1)
    .map((l) => l.name)
    .join(' or ')}`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: layers.slice(0, index + 1).map((l) => l.path) },
}));

// Inside a layer, folders that must not lean on each other, so each can change alone.
const siblings = [
  ['scheduler', ['dispatch', 'watch']],
  ['dispatch', ['scheduler', 'watch']],
  ['watch', ['scheduler', 'dispatch']],
  ['mage', ['project', 'executor-config', 'render']],
  ['executor-config', ['project', 'render']],
  ['project', ['render']],
].map(([from, to]) => ({
  name: `no-${from}-to-${to.join('-')}`,
  comment: `src/${from} must not import src/${to.join(' or src/')}`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: to.map((folder) => `^src/${folder}`) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: modules that need each other belong in one module, or the shared part in a third',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    ...siblings,
    {
      name: 'simulation-stays-a-tool',
      comment:
        'The simulated cluster and the chaos proxy stand in for Kubernetes; only entry points and the demo start them',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(sim|chaos|cli|demo)/' },
      to: { path: '^src/(sim|chaos)/' },
    },
    {
      name: 'simulation-uses-infrastructure-only',
      comment: 'The simulated cluster knows Kubernetes, not kubedispatch: it may import infrastructure only',
      severity: 'error',
      from: { path: '^src/(sim|chaos)/' },
      to: { path: '^src/', pathNot: ['^src/(sim|chaos)/', layers.at(-1).path] },
    },
    {
      name: 'no-tests-from-code',
      comment: 'Shipped code never imports test code',
      severity: 'error',
      from: { path: '^(src|workers|bin)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-dev-dependencies-in-shipped-code',
      comment: 'The image installs production dependencies only (Dockerfile: npm ci --omit=dev)',
      severity: 'error',
      from: { path: '^(src|workers|bin)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
