// A rule's `detection` section compiled: each search identifier to a test (maps AND their entries,
// lists OR their items, plain lists are keyword searches), the condition parsed once, and the
// literals the prefilter can ask for.
import { type Condition, conditionLiterals, evaluate, parseCondition } from './condition.js';
import { RuleError } from './errors.js';
import { type CompileOptions, type Compiled, type Constraints, andConstraints, bestLiterals, compileField, orConstraints } from './field.js';
import type { Predicate } from './view.js';

export interface CompiledDetection {
  test: Predicate;
  literals: string[] | null;
  /** Sigma field names the detection reads, in rule order. */
  fields: string[];
  /** Some part is a keyword search (reads every value of the event). */
  keywords?: boolean;
  /** Values some fields must have for any match (see field.ts). */
  constraints?: Constraints;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function and(parts: Compiled[]): Compiled {
  if (parts.length === 1) return parts[0]!;
  const tests = parts.map((p) => p.test);
  return withConstraints({ test: (v) => tests.every((t) => t(v)), literals: bestLiterals(parts.map((p) => p.literals)), fields: parts.flatMap((p) => p.fields) }, andConstraints(parts.map((p) => p.constraints)));
}

/** Compiled and CompiledDetection have the same shape. */
function withConstraints(c: CompiledDetection, k: Constraints | undefined): CompiledDetection {
  if (k) c.constraints = k;
  return c;
}

function or(parts: Compiled[]): Compiled {
  if (parts.length === 1) return parts[0]!;
  const tests = parts.map((p) => p.test);
  const lits = parts.some((p) => p.literals === null) ? null : [...new Set(parts.flatMap((p) => p.literals!))];
  return withConstraints({ test: (v) => tests.some((t) => t(v)), literals: lits, fields: parts.flatMap((p) => p.fields) }, orConstraints(parts.map((p) => p.constraints)));
}

function compileMap(name: string, map: Record<string, unknown>, opts: CompileOptions): Compiled {
  const entries = Object.entries(map);
  if (entries.length === 0) throw new RuleError(`search identifier '${name}' is an empty map`);
  return and(entries.map(([k, v]) => compileField(k, v, opts)));
}

function compileIdentifier(name: string, body: unknown, opts: CompileOptions): Compiled {
  if (isMap(body)) return compileMap(name, body, opts);
  if (Array.isArray(body)) {
    if (body.length === 0) throw new RuleError(`search identifier '${name}' is an empty list`);
    const maps = body.filter(isMap);
    const words = body.filter((x) => !isMap(x));
    const parts = maps.map((m) => compileMap(name, m, opts));
    if (words.length > 0) parts.push(compileField('', words, opts));
    return or(parts);
  }
  if (typeof body === 'string' || typeof body === 'number') return compileField('', [body], opts);
  throw new RuleError(`search identifier '${name}' must be a map or a list`);
}

/** Compiles `detection`; `extra` adds global filter identifiers negated onto the condition. */
export function compileDetection(detection: unknown, opts: CompileOptions): CompiledDetection {
  if (!isMap(detection)) throw new RuleError(`'detection' must be a map`);
  const idents = new Map<string, Compiled>();
  for (const [name, body] of Object.entries(detection)) {
    if (name === 'condition' || name === 'timeframe') continue;
    try {
      idents.set(name, compileIdentifier(name, body, opts));
    } catch (err) {
      if (err instanceof RuleError && !err.message.startsWith(`search identifier`)) throw new RuleError(`${name}: ${err.message}`);
      throw err;
    }
  }
  if ('timeframe' in detection) throw new RuleError(`'timeframe' in detection is Sigma 1 aggregation syntax; write a correlation rule instead`);
  const cond = detection['condition'];
  const texts = Array.isArray(cond) ? cond : [cond];
  if (cond === undefined || texts.length === 0 || texts.some((t) => typeof t !== 'string')) throw new RuleError(`'detection.condition' must be a string or a list of strings`);
  const names = [...idents.keys()];
  const conditions: Condition[] = (texts as string[]).map((t) => parseCondition(t, names));
  const root: Condition = conditions.length === 1 ? conditions[0]! : { op: 'or', args: conditions };
  return build(root, idents);
}

function build(root: Condition, idents: ReadonlyMap<string, Compiled>): CompiledDetection {
  const tests = new Map([...idents].map(([k, v]) => [k, v.test]));
  const literals = conditionLiterals(root, (n) => idents.get(n)?.literals ?? null, bestLiterals);
  const constraints = conditionConstraints(root, (n) => idents.get(n)?.constraints);
  const all = [...new Set([...idents.values()].flatMap((c) => c.fields))];
  const fields = all.filter((f) => f !== '');
  const keywords = all.includes('');
  // A single identifier (the common `condition: selection`) needs no condition walk.
  if (root.op === 'id') {
    const only = tests.get(root.name)!;
    return withConstraints({ test: only, literals, fields, keywords }, constraints);
  }
  return withConstraints({
    test: (v) => {
      const seen = new Map<string, boolean>();
      return evaluate(root, (n) => {
        let r = seen.get(n);
        if (r === undefined) {
          r = tests.get(n)!(v);
          seen.set(n, r);
        }
        return r;
      });
    },
    literals,
    fields,
    keywords,
  }, constraints);
}

function conditionConstraints(c: Condition, ident: (name: string) => Constraints | undefined): Constraints | undefined {
  switch (c.op) {
    case 'id':
      return ident(c.name);
    case 'and':
      return andConstraints(c.args.map((a) => conditionConstraints(a, ident)));
    case 'or':
      return orConstraints(c.args.map((a) => conditionConstraints(a, ident)));
    case 'not':
      return undefined;
    case 'of':
      return c.count === 'all' ? andConstraints(c.names.map(ident)) : c.count === 1 ? orConstraints(c.names.map(ident)) : undefined;
  }
}

/** `rule and not filter`: a global filter (mf_ rule) applied to the rules it names. */
export function withFilter(rule: CompiledDetection, filter: CompiledDetection): CompiledDetection {
  const r = rule.test;
  const f = filter.test;
  return withConstraints({ test: (v) => r(v) && !f(v), literals: rule.literals, fields: rule.fields, keywords: rule.keywords === true }, rule.constraints);
}
