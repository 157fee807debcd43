import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compileRegex, type RegexFlags, type SafeRegex } from '../src/detect/sigma/regex.js';

function compile(pattern: string, flags: RegexFlags = {}): SafeRegex {
  const r = compileRegex(pattern, flags);
  if (!r.ok) assert.fail(`/${pattern}/ should compile: ${r.reason}`);
  return r.regex;
}

const flagsOf = (f: string): RegexFlags => ({ i: f.includes('i'), m: f.includes('m'), s: f.includes('s') });

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}

// [pattern, flags, text, expected, comparable with JS RegExp (default true)]
type Case = [string, string, string, boolean, boolean?];
const CASES: Case[] = [
  // literals and escapes
  ['abc', '', 'xxabcxx', true],
  ['abc', '', 'ab c', false],
  ['a\\.b', '', 'a.b', true],
  ['a\\.b', '', 'axb', false],
  ['\\\\cmd\\.exe', '', 'C:\\Windows\\cmd.exe', true],
  ['\\/\\-\\$\\(\\{\\}\\)\\*\\+\\?\\|\\^', '', 'x/-$({})*+?|^', true],
  ['\\d{3}', '', 'ab12c', false],
  ['\\d{3}', '', 'a123', true],
  ['\\D', '', '0123', false],
  ['\\w+@\\w+', '', 'mail me@host', true],
  ['\\W', '', 'abc_19Z', false],
  ['a\\sb', '', 'a\tb', true],
  ['a\\sb', '', 'a\u00a0b', true],
  ['\\S', '', ' \t\r\n', false],
  ['\\t\\n\\r\\f\\v', '', '\t\n\r\f\v', true],
  ['\\x41\\u0042', '', 'xAB', true],
  ['\\x41', 'i', 'a', true],
  ['\\cJ', '', '\n', true],
  ['\\0', '', 'a\u0000', true],
  // dot and newlines
  ['a.b', '', 'axb', true],
  ['a.b', '', 'a\nb', false],
  ['a.b', '', 'a\rb', false],
  ['a.b', '', 'a\u2028b', false],
  ['a.b', 's', 'a\nb', true],
  ['(?s)a.b', '', 'a\nb', true, false],
  // character classes
  ['[a-c]+x', '', 'zbbx', true],
  ['[^a-c]', '', 'abcabc', false],
  ['[^a-c]', '', 'abcd', true],
  ['[]a]', '', 'x]', true, false],
  ['[^]a]', '', ']a]', false, false],
  ['[-a]', '', 'x-', true],
  ['[a-]', '', 'x-', true],
  ['[\\d.]+$', '', 'v1.2', true],
  ['[\\w-]', '', '-', true],
  ['[\\d-z]', '', '-', true],
  ['[\\]]', '', ']', true],
  ['[\\^x]', '', '^', true],
  ['[^\\n]', '', '\n\n', false],
  ['[\\b]', '', '\b', true],
  ['[\\w+|\\s]', '', '|', true],
  ['[–x]', '', '–', true],
  // case folding
  ['HeLLo', 'i', 'say hello', true],
  ['HeLLo', '', 'say hello', false],
  ['[a-z]', 'i', 'Q', true],
  ['[^a-z]', 'i', 'Q', false],
  ['[^a-z]', 'i', 'Q1', true],
  ['[A-F0-9]{2}', 'i', 'xff', true],
  ['[K]', 'i', 'k', true],
  ['k', 'i', '\u212a', false], // Kelvin sign only matches with the unicode flag
  ['(?i)cmd\\.exe', '', 'C:\\CMD.EXE', true, false],
  ['a(?i:b)c', '', 'aBc', true, false],
  ['a(?i:b)c', '', 'aBC', false, false],
  ['(?i)a(?-i)b', '', 'Ab', true, false],
  ['(?i)a(?-i)b', '', 'AB', false, false],
  // anchors
  ['^abc', '', 'abcdef', true],
  ['^abc', '', 'x\nabc', false],
  ['^abc', 'm', 'x\nabc', true],
  ['^abc', 'm', 'x\rabc', true],
  ['abc$', '', 'abc\n', false],
  ['abc$', 'm', 'abc\nx', true],
  ['abc$', '', 'xabc', true],
  ['^$', '', '', true],
  ['^$', 'm', 'a\n\nb', true],
  ['^$', '', 'a\n\nb', false],
  ['(?m)^b', '', 'a\nb', true, false],
  ['\\Aab', 'm', 'x\nab', false, false],
  ['\\Aab', 'm', 'ab\nx', true, false],
  ['ab\\z', 'm', 'ab\nx', false, false],
  ['ab\\z', '', 'ab\n', false, false],
  ['ab\\Z', '', 'ab\n', true, false],
  ['ab\\Z', '', 'ab', true, false],
  ['ab\\Z', '', 'ab\n\n', false, false],
  ['ab\\Z\\n', '', 'ab\n', true, false],
  ['\\bcat\\b', '', 'a cat.', true],
  ['\\bcat\\b', '', 'concat', false],
  ['\\Bcat', '', 'concat', true],
  ['\\Bcat', '', 'cat', false],
  ['\\b', '', '', false],
  ['\\B', '', '', true],
  ['\\b', '', '--', false],
  // alternation and groups
  ['cat|dog', '', 'hotdog', true],
  ['^(cat|dog)$', '', 'cow', false],
  ['a(|b)c', '', 'ac', true],
  ['a(b|)c', '', 'abc', true],
  ['(|)', '', '', true],
  ['a|', '', 'zzz', true],
  ['(?:ab)+c', '', 'xababc', true],
  ['(?:ab)+c', '', 'xaabc', true],
  ['(?:ab)+c', '', 'xbac', false],
  ['(?<name>ab)c', '', 'abc', true],
  ['(?P<name>ab)c', '', 'abc', true, false],
  ['(?:^)*a', '', 'ba', true],
  // quantifiers
  ['a{3}', '', 'aa', false],
  ['a{3}', '', 'aaa', true],
  ['^a{2,3}$', '', 'aaaa', false],
  ['^a{2,3}$', '', 'aaa', true],
  ['^a{2,}$', '', 'a', false],
  ['^a{2,}$', '', 'aaaaaa', true],
  ['^a{0}b', '', 'b', true],
  ['^(ab){1,2}$', '', 'ababab', false],
  ['^(ab){1,2}$', '', 'abab', true],
  ['^(a|b){2}$', '', 'ba', true],
  ['(a*)*b', '', 'aab', true],
  ['(a?){3}c', '', 'c', true],
  ['.{150}', '', 'x'.repeat(149), false],
  ['.{150}', '', 'x'.repeat(150), true],
  ['(.){200,}', '', 'x'.repeat(300), true],
  ['x{,3}', '', 'x{,3}', true],
  ['a{', '', 'a{', true],
  ['}]', '', '}]', true],
  // lazy quantifiers do not change the answer
  ['a+?b', '', 'aab', true],
  ['^a{2,3}?$', '', 'aaa', true],
  ['a??b', '', 'b', true],
  ['a*?$', '', 'x', true],
  ['^a+?$', '', 'aab', false],
  // real SigmaHQ shapes
  ['(?i)\\\\(venv|python(.+)?)\\\\lib\\\\site-packages\\\\', '', 'C:\\Python39\\Lib\\site-packages\\x', true, false],
  ['\\s-[FTd]\\s', '', 'ls -T x', true],
  ['^[A-Za-z0-9]{16}$', '', 'AbCdEfGh12345678', true],
  ['^[A-Za-z0-9]{16}$', '', 'AbCdEfGh12345678\n', false],
  ['\\String\\]\\s*\\$VerbosePreference', '', '[String] $VerbosePreference', true],
  ['https?://(?:(?:25[0-5]|(?:2[0-4]|1\\d|[1-9])?\\d)(?:\\.|\\b)){4}', '', 'get http://10.0.0.1/x', true],
];

test('table of patterns', () => {
  assert.ok(CASES.length >= 60);
  for (const [pattern, flags, text, expected, js = true] of CASES) {
    const re = compile(pattern, flagsOf(flags));
    assert.equal(re.test(text), expected, `/${pattern}/${flags} on ${JSON.stringify(text)}`);
    if (js) assert.equal(new RegExp(pattern, flags).test(text), expected, `JS agrees on /${pattern}/${flags}`);
  }
});

test('a compiled regex can be reused on many texts', () => {
  const re = compile('\\bfoo\\b', { i: true });
  for (let k = 0; k < 3; k++) {
    assert.equal(re.test('a FOO b'), true);
    assert.equal(re.test('afoo'), false);
    assert.equal(re.test('foo'), true);
  }
});

// ------------------------------------------------------------- differential test against RegExp
const ATOMS = ['a', 'b', 'a', 'b', '\\n', '.', '[ab]', '[^a]', '[a-b]', '[^\\n]', '\\w', '\\W', '\\s', 'A', '[B-Z]', '[^b\\n]', '\\.'];
const ANCHORS = ['^', '$', '\\b', '\\B'];
const QUANTS = ['', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,2}', '{2,}', '*?', '+?', '??', '{1,2}?', '{0}'];

function genPattern(r: ReturnType<typeof rng>, depth = 0): string {
  const branches: string[] = [];
  const n = r.int(4) === 0 ? 1 + r.int(3) : 1;
  for (let b = 0; b < n; b++) {
    let seq = '';
    const len = r.int(depth === 0 ? 5 : 3) + (b === 0 ? 1 : 0);
    for (let k = 0; k < len; k++) {
      const kind = r.int(10);
      if (kind === 0) { seq += r.pick(ANCHORS); continue; }
      const atom = kind === 1 && depth < 3 ? `(${r.int(2) ? '?:' : ''}${genPattern(r, depth + 1)})` : r.pick(ATOMS);
      seq += atom + r.pick(QUANTS);
    }
    branches.push(seq);
  }
  return branches.join('|');
}

function genText(r: ReturnType<typeof rng>): string {
  const alphabet = 'aaabbb\n\nAB _.';
  let s = '';
  for (let k = r.int(12); k > 0; k--) s += alphabet[r.int(alphabet.length)];
  return s;
}

/** Matching texts seen by the differential test, reused by the literal test. */
const matched: { pattern: string; flags: string; text: string }[] = [];

test('differential: agrees with JS RegExp on random patterns and texts', () => {
  const r = rng(20240601);
  let compared = 0, positives = 0;
  for (let p = 0; p < 600; p++) {
    const pattern = genPattern(r);
    const flags = ['', 'i', 'm', 's', 'im', 'ms', 'ims'][r.int(7)];
    let js: RegExp;
    try { js = new RegExp(pattern, flags); } catch { continue; }
    const ours = compile(pattern, flagsOf(flags));
    for (let t = 0; t < 25; t++) {
      const text = genText(r);
      const expected = js.test(text);
      assert.equal(ours.test(text), expected, `/${pattern}/${flags} on ${JSON.stringify(text)}`);
      compared++;
      if (expected) { positives++; matched.push({ pattern, flags, text }); }
    }
  }
  assert.ok(compared > 10_000 && positives > 2_000 && compared - positives > 2_000, `${compared} comparisons, ${positives} matches`);
});

test('compileRegex never throws', () => {
  const r = rng(7);
  const chars = 'ab()[]{}^$|\\*+?.-,:<>=!?PkdwbBAzZ0123 ';
  for (let k = 0; k < 3000; k++) {
    let p = '';
    for (let n = r.int(10); n > 0; n--) p += chars[r.int(chars.length)];
    const res = compileRegex(p, flagsOf(['', 'i', 'ms'][r.int(3)]));
    if (res.ok) res.regex.test('ab(a)\nb[]{}');
    else assert.match(res.reason, /at offset \d+$/);
  }
});

// ------------------------------------------------------------- rejections
test('rejects unsupported constructs with a reason naming them and their offset', () => {
  const rejects: [string, RegExp][] = [
    ['(a)\\1', /backreference '\\1'.* at offset 3$/],
    ['\\k<x>', /backreference/],
    ['(?P=x)', /backreference/],
    ['a(?=b)', /lookahead '\(\?=' .*at offset 1$/],
    ['a(?!b)', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['(?>a)', /atomic/],
    ['a++', /possessive/],
    ['a{1,2}+', /possessive/],
    ['(?(1)a|b)', /conditional/],
    ['\\p{L}', /unicode property/],
    ['(a', /unbalanced '\('.* at offset 0$/],
    ['a)b', /unbalanced '\)'.* at offset 1$/],
    ['[ab', /unterminated character class/],
    ['*a', /nothing to repeat/],
    ['a|+', /nothing to repeat.* at offset 2$/],
    ['a**', /nothing to repeat/],
    ['^*', /nothing to repeat/],
    ['{2}', /nothing to repeat/],
    ['a{3,2}', /minimum greater than maximum/],
    ['[z-a]', /out of order/],
    ['(a{1000}){1000}', /more than 50000 NFA states at offset 9$/],
    ['a{50001}', /NFA states/],
    ['\\q', /unsupported escape '\\q'/],
    ['a\\', /trailing backslash/],
    ['(?x)a', /unsupported group syntax/],
    ['[[:alpha:]]', /POSIX/],
    ['\\x4', /hex digits/],
  ];
  for (const [pattern, reason] of rejects) {
    const res = compileRegex(pattern);
    assert.equal(res.ok, false, `/${pattern}/ should be rejected`);
    if (!res.ok) assert.match(res.reason, reason, `/${pattern}/`);
  }
});

// ------------------------------------------------------------- ReDoS
test('hostile inputs run in linear time (in a child process that is killed if it hangs)', () => {
  // Each pattern takes exponential or polynomial time in a backtracking engine on these texts.
  // A synchronous hang cannot be interrupted in-process, so the checks run in a child with a deadline.
  const checks: [string, string, string, boolean][] = [
    ['(a+)+b', '', "'a'.repeat(200_000)", false],
    ['(a|aa)*c', '', "'a'.repeat(200_000)", false],
    ['.*.*.*=.*', '', "'x'.repeat(200_000)", false],
    ['.*.*.*=.*', '', "'x'.repeat(200_000) + '='", true],
    ['(a*)*$', 'm', "'a'.repeat(200_000) + '!'", true],
    ['^(\\w+\\s?)*$', '', "'a'.repeat(200_000) + '!'", false],
    ['(x+x+)+y', 'i', "'x'.repeat(200_000)", false],
    // an exponentially large DFA: the state cache fills up, is cleared and refilled
    ['(a|b)*a(a|b){12}c', '', "'ab'.repeat(100_000)", false],
  ];
  const mod = new URL('../src/detect/sigma/regex.js', import.meta.url).href;
  const script = `import { compileRegex } from ${JSON.stringify(mod)};
    const flags = (f) => ({ i: f.includes('i'), m: f.includes('m'), s: f.includes('s') });
    console.log(JSON.stringify([${checks.map(([p, f, text]) => `compileRegex(${JSON.stringify(p)}, flags('${f}')).regex.test(${text})`).join(',\n')}]));`;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.error, undefined, `hostile-input checks did not finish in ${Date.now() - started} ms: ${child.error?.message}`);
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), checks.map((c) => c[3]));
});

// ------------------------------------------------------------- literal prefilter
test('literals: exact expectations', () => {
  const lits = (p: string, f = '') => [...compile(p, flagsOf(f)).literals];
  assert.deepEqual(lits('\\\\cmd\\.exe /c (whoami|net)'), ['\\cmd.exe /c ']);
  assert.deepEqual(lits('(foo|barbaz)x'), ['barbazx', 'foox']);
  assert.deepEqual(lits('.*'), []);
  assert.deepEqual(lits('[a-z]+'), []);
  assert.deepEqual(lits('x?'), []);
  assert.deepEqual(lits('abc|'), []);
  assert.deepEqual(lits('(?i)CMD\\.Exe'), ['cmd.exe']);
  assert.deepEqual(lits('CMD\\.Exe'), ['cmd.exe']);
  assert.deepEqual(lits('[Rr][Uu][Nn][Dd][Ll][Ll]32(?:\\.[Ee][Xx][Ee])? \\S+'), ['rundll32']);
  assert.deepEqual(lits('a+b'), ['ab']);
  assert.deepEqual(lits('\\d+\\.exe'), ['.exe']);
  assert.deepEqual(lits('\\\\(cmd|powershell)\\.exe.{0,50}(-enc|/c)', 'i'), ['\\cmd.exe', '\\powershell.exe']);
  assert.deepEqual(lits('net\\s+user'), ['user']);
  assert.deepEqual(lits('(a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q)'), []);
  // A literal run may continue into the start of a non-literal part, but not skip it.
  assert.deepEqual(lits('xyz(?:a+b)'), ['xyza']);
  assert.equal(compile('xyz(?:a+b)').test('xyzaab'), true);
});

test('literals are a necessary condition for a match', () => {
  assert.ok(matched.length > 0, 'runs after the differential test');
  let checked = 0;
  const cache = new Map<string, readonly string[]>();
  for (const { pattern, flags, text } of matched) {
    const key = `${flags}/${pattern}`;
    let lits = cache.get(key);
    if (!lits) { lits = compile(pattern, flagsOf(flags)).literals; cache.set(key, lits); }
    if (lits.length === 0) continue;
    checked++;
    const lower = text.toLowerCase();
    assert.ok(lits.some((l) => lower.includes(l)), `/${pattern}/${flags} matches ${JSON.stringify(text)} but has none of ${JSON.stringify(lits)}`);
  }
  assert.ok(checked > 300, `${checked} texts checked`);
});
