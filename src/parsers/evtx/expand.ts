// Template expansion rules shared by the JSON and XML renderers: what a substitution contributes
// (nothing when missing, null, or optional and empty), nested binary XML parsed in place, array
// values repeating the element that holds them once per item (MS-EVEN6 "Array Types"; evtx_dump
// 0.10+ does the same), and a bound on nesting so a hostile file cannot recurse without end.
import type { ChunkBinXml, ContentNode, ElementNode, Node } from './binxml.js';
import { EvtxFormatError } from './errors.js';
import { type Scalar, VT, type Value, isEmptyValue } from './values.js';

export interface Scope {
  values: Value[] | null;
  depth: number;
}

export const TOP_SCOPE: Scope = { values: null, depth: 0 };

const MAX_EXPANSION_DEPTH = 32;

type SubNode = Extract<ContentNode, { t: 'sub' }>;
type TemplateNode = Extract<ContentNode, { t: 'tmpl' }>;

/** The value a substitution shows, or undefined when it shows nothing. */
export function subValue(n: SubNode, scope: Scope): Value | undefined {
  const value = scope.values?.[n.index];
  if (!value || value.type === VT.Null) return undefined;
  if (n.optional && isEmptyValue(value)) return undefined;
  return value;
}

/** The nodes of a binary-XML substitution value, parsed in place, and their scope. */
export function nestedFragment(chunk: ChunkBinXml, value: Value, scope: Scope): { nodes: Node[]; scope: Scope } {
  if (scope.depth >= MAX_EXPANSION_DEPTH) throw new EvtxFormatError('substitutions nested too deeply');
  const { start, end } = value.v as { start: number; end: number };
  return { nodes: chunk.fragment(start, end, false, scope.depth + 1), scope: { values: null, depth: scope.depth + 1 } };
}

/** The scope of a template instance's definition. */
export function templateScope(n: TemplateNode, scope: Scope): Scope {
  if (scope.depth >= MAX_EXPANSION_DEPTH) throw new EvtxFormatError('templates nested too deeply');
  return { values: n.values, depth: scope.depth + 1 };
}

/** An array value in the element's own content: the element is repeated once per item. */
export function repeatingArray(n: ElementNode, scope: Scope): { index: number; items: Scalar[] } | undefined {
  if (!n.subs || !scope.values) return undefined;
  for (const index of n.subs) {
    const v = scope.values[index];
    if (v === undefined || (v.type & VT.Array) === 0 || v.type === VT.BinXml) continue;
    return { index, items: v.v as Scalar[] };
  }
  return undefined;
}

/** An array value where it cannot repeat an element (an attribute, the top level): its items as text. */
export function arrayText(items: readonly Scalar[]): string {
  return items.map((x) => (x === null ? '' : String(x))).join(',');
}
