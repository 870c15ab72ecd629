/**
 * The README's commands work as written after its own set-up (issue 20, point 4): every command
 * in a code block starts with something that exists. Bare `lvsd`/`lvsadm` count only because the
 * Set-up section runs `npm link` (which puts package.json's "bin" on PATH); `node FILE` needs
 * FILE, `npm run X` needs script X, `npx X` needs bin X, anything else must be on this machine's
 * PATH or be a shell builtin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const readme = readFileSync('README.md', 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

/** Indented code blocks (four spaces, after a blank line), with the line number of each line. */
function codeBlocks(text: string): { line: number; text: string }[][] {
  const lines = text.split('\n');
  const blocks: { line: number; text: string }[][] = [];
  let cur: { line: number; text: string }[] | undefined;
  lines.forEach((l, i) => {
    if (l.startsWith('    ') && (cur || (lines[i - 1] ?? '') === '')) {
      cur ??= [];
      cur.push({ line: i + 1, text: l.slice(4) });
    } else if (l.trim() !== '' || !cur) {
      if (cur) blocks.push(cur);
      cur = undefined;
    }
  });
  if (cur) blocks.push(cur);
  return blocks;
}

function section(title: string): string {
  const at = readme.indexOf(`\n## ${title}\n`);
  assert.ok(at >= 0, `README has a "${title}" section`);
  const end = readme.indexOf('\n## ', at + 1);
  return readme.slice(at, end < 0 ? undefined : end);
}

const BUILTINS = new Set([
  'export',
  'echo',
  'kill',
  'cd',
  'for',
  'do',
  'done',
  'while',
  'set',
  'wait',
  'true',
]);
const onPath = (w: string): boolean => spawnSync('sh', ['-c', `command -v '${w}'`]).status === 0;

/** Why a shell segment's first word does not exist, or undefined when it does. */
function problem(segment: string, linked: boolean): string | undefined {
  let words = segment.trim().split(/\s+/).filter(Boolean);
  for (;;) {
    const w = words[0];
    if (w === undefined) return undefined;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || w === 'sudo' || w === 'do' || w === 'time')
      words = words.slice(1);
    else if (w === 'ip' && words[1] === 'netns' && words[2] === 'exec') words = words.slice(4);
    else break;
  }
  const [w, a1, a2] = words as [string, string?, string?];
  if (w.startsWith('#') || w.startsWith('+') || w === '{' || w === '}') return undefined;
  if (w in pkg.bin) return linked ? undefined : `bare ${w} but the Set-up section has no npm link`;
  if (w === 'node')
    return a1 && !a1.startsWith('-') && !existsSync(a1) ? `node ${a1}: no such file` : undefined;
  if (w === 'npx') return a1 && a1 in pkg.bin ? undefined : `npx ${a1}: not a bin of this package`;
  if (w === 'npm') {
    if (a1 === 'run') return a2 && a2 in pkg.scripts ? undefined : `npm run ${a2}: no such script`;
    if (a1 === 'start' || a1 === 'test') return a1 in pkg.scripts ? undefined : `npm ${a1}: no such script`;
    return undefined;
  }
  if (BUILTINS.has(w) || onPath(w)) return undefined;
  return `${w}: not on PATH and not a shell builtin`;
}

/** The command lines of a block: its `$ ` lines, or, without any, every line. */
function commandLines(block: { line: number; text: string }[]): { line: number; text: string }[] {
  const dollar = block.filter((l) => l.text.startsWith('$ '));
  if (dollar.length > 0) return dollar.map((l) => ({ line: l.line, text: l.text.slice(2) }));
  return block;
}

/** Lines whose first word is a command this check knows how to judge (config and output are not). */
const looksLikeCommand = (text: string): boolean =>
  /^(\w+=\S+\s+)*(sudo\s+)?(lvsd|lvsadm|node|npm|npx|ip|curl|for|export|kill)\b/.test(text.trim());

test('the Set-up section puts lvsd and lvsadm on PATH with npm link', () => {
  const setup = codeBlocks(section('Set-up')).flat();
  assert.ok(
    setup.some((l) => /^npm link\b/.test(l.text)),
    'a Set-up code block runs npm link',
  );
  for (const [name, file] of Object.entries(pkg.bin)) {
    assert.ok(existsSync(file), `package.json bin ${name} -> ${file} exists`);
  }
});

test('every command in a README code block starts with a form that exists after the set-up', () => {
  const linked = codeBlocks(section('Set-up'))
    .flat()
    .some((l) => /^npm link\b/.test(l.text));
  const bad: string[] = [];
  let checked = 0;
  for (const block of codeBlocks(readme)) {
    const hasDollar = block.some((l) => l.text.startsWith('$ '));
    for (const l of commandLines(block)) {
      if (!hasDollar && !looksLikeCommand(l.text)) continue;
      const cmd = l.text.replace(/\s#.*$/, '');
      for (const seg of cmd.split(/&&|\|\||;|\||&(?!\d)|\$\(|\)/)) {
        checked++;
        const p = problem(seg.replace(/[<>]\s*\S+/g, ''), linked);
        if (p) bad.push(`README.md:${l.line}: ${p}`);
      }
    }
  }
  assert.ok(checked > 20, `found the README's commands (${checked})`);
  assert.deepEqual(bad, []);
});
