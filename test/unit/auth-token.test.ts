import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authTokenProblem, MIN_TOKEN_LENGTH, PLACEHOLDER_TOKENS } from '../../src/config/auth-token.ts';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';
import { checkListenSecurity, InsecureListenError } from '../../src/http/auth.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STRONG = 'a3f1c9e07b5d42886e1f0c2b9d7a4e6f3c8b1a0d9e2f7c6b5a4d3e2f1c0b9a8f';

describe('authTokenProblem', () => {
  it('accepts no token (loopback only, checked elsewhere) and a long random one', () => {
    expect(authTokenProblem('')).toBeUndefined();
    expect(authTokenProblem(STRONG)).toBeUndefined();
    expect(authTokenProblem('x'.repeat(MIN_TOKEN_LENGTH))).toBeUndefined();
  });

  it('refuses a token shorter than 32 characters, saying how to make one, without quoting it', () => {
    const short = 'y'.repeat(MIN_TOKEN_LENGTH - 1);
    const problem = authTokenProblem(short);
    expect(problem).toMatch(/31 characters long, shorter than 32.*openssl rand -hex 32/);
    expect(problem).not.toContain(short);
  });

  it('refuses every shipped placeholder, in any case and with surrounding blanks', () => {
    for (const placeholder of PLACEHOLDER_TOKENS) {
      expect(authTokenProblem(placeholder), placeholder).toMatch(/placeholder.*openssl rand -hex 32/);
      expect(authTokenProblem(` ${placeholder.toUpperCase()} `), placeholder).toMatch(/placeholder/);
    }
  });
});

describe('the token rule at start', () => {
  it('stops settings loading (every process) on a weak env token, naming the variable, not the value', () => {
    const attempt = () => loadSettings({ KUBEDISPATCH_AUTH_TOKEN: 'change-me' });
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(
      /http\.authToken: the token is a placeholder.*openssl rand -hex 32`? \(env KUBEDISPATCH_AUTH_TOKEN\)/,
    );
    expect(() => loadSettings({ KUBEDISPATCH_AUTH_TOKEN: 'short-s3cr3t' })).toThrow(/is 12 characters long/);
    try {
      loadSettings({ KUBEDISPATCH_AUTH_TOKEN: 'short-s3cr3t' });
    } catch (error) {
      expect((error as Error).message).not.toContain('short-s3cr3t');
    }
    expect(loadSettings({ KUBEDISPATCH_AUTH_TOKEN: STRONG }).http.authToken).toBe(STRONG);
  });

  it('stops settings loading on a weak token in the settings file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kd-token-'));
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, 'http:\n  authToken: tok-s3cr3t\n');
    expect(() => loadSettings({}, file)).toThrow(/http\.authToken: the token is 10 characters long.* \(line 2\)/);
  });

  it('stops the HTTP server on a weak token it is handed, whatever the listen address', () => {
    expect(() => checkListenSecurity('127.0.0.1', 'change-me')).toThrow(InsecureListenError);
    expect(() => checkListenSecurity('0.0.0.0', 'short')).toThrow(/KUBEDISPATCH_AUTH_TOKEN.*openssl rand -hex 32/);
    expect(() => checkListenSecurity('0.0.0.0', STRONG)).not.toThrow();
    expect(() => checkListenSecurity('127.0.0.1', '')).not.toThrow();
  });
});

/** Files users copy settings from: docs, examples, manifests, the chart, compose, the sample settings file. */
function shippedFiles(): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (/\.(md|ya?ml|json|tpl|txt|env)$/.test(path)) files.push(path);
  };
  for (const entry of ['README.md', 'docker-compose.yml', 'docs', 'examples', 'config', 'k8s', 'charts'])
    walk(join(ROOT, entry));
  return files;
}

/** Literal token values written after the token's env var or setting name (not `$VAR`, `${…}` or `{{ … }}`). */
function writtenTokens(text: string): string[] {
  const pattern = /(?:KUBEDISPATCH_AUTH_TOKEN|authToken)["']?\s*[:=]\s*["']?([^"'\s$`{|][^"'\n]*?)["']?\s*$/gm;
  return [...text.matchAll(pattern)].map((match) => match[1]!.trim()).filter((value) => value !== '');
}

describe('tokens written in the repository', () => {
  it('are all refused: a token in a doc, an example or a manifest is public', () => {
    const found = shippedFiles().flatMap((file) =>
      writtenTokens(readFileSync(file, 'utf8')).map((token) => ({ file: relative(ROOT, file), token })),
    );
    // The sample settings file shows one (commented out); if none were found the scan itself is broken.
    expect(found.map((entry) => entry.file)).toContain('config/kubedispatch.yaml');
    for (const { file, token } of found) expect(authTokenProblem(token), `${file}: ${token}`).toBeDefined();
  });
});
