// A record as XML text (`exhunt evtx --format xml`), indented like Event Viewer's "XML View",
// written straight from the template nodes and values; only built when asked, never on the
// hunting path. Text and attribute values are escaped; control characters that XML 1.0 cannot
// carry become U+FFFD (the JSON rendering keeps them exactly).
import type { ChunkBinXml, ContentNode, ElementNode, Node } from './binxml.js';
import { type Scope, TOP_SCOPE, arrayText, nestedFragment, repeatingArray, subValue, templateScope } from './expand.js';
import { pieceText } from './render-json.js';
import { type Scalar, VT } from './values.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters replaced
const XML_UNSAFE = /[&<>"\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the same set, to test without replacing
const XML_UNSAFE_ONE = /[&<>"\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

const PADS = Array.from({ length: 16 }, (_, i) => '  '.repeat(i));

function escapeXml(s: string): string {
  if (!XML_UNSAFE_ONE.test(s)) return s;
  return s.replace(XML_UNSAFE, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '\ufffd'));
}

/** One element's content while it is walked: its text and its rendered child elements. */
interface Content {
  text: string;
  kids: string[];
}

export class XmlRenderer {
  constructor(private readonly chunk: ChunkBinXml) {}

  /** The record's elements as XML text, and the name of the first one (undefined when none). */
  render(nodes: Node[]): { xml: string; top: string | undefined } {
    const out: Content = { text: '', kids: [] };
    const tops: string[] = [];
    this.nodes(nodes, TOP_SCOPE, out, 0, tops);
    return { xml: out.kids.join('\n'), top: tops[0] };
  }

  private nodes(nodes: readonly Node[], scope: Scope, out: Content, depth: number, tops?: string[]): void {
    for (const n of nodes) {
      if (n.t === 'el') {
        tops?.push(n.name);
        this.element(n, scope, out, depth);
      } else {
        this.content(n, scope, out, depth, tops);
      }
    }
  }

  private content(n: ContentNode, scope: Scope, out: Content, depth: number, tops?: string[]): void {
    switch (n.t) {
      case 'val':
        out.text += pieceText(n.value.v as Scalar);
        return;
      case 'sub': {
        const value = subValue(n, scope);
        if (!value) return;
        if (value.type === VT.BinXml) {
          const inner = nestedFragment(this.chunk, value, scope);
          this.nodes(inner.nodes, inner.scope, out, depth, tops);
        } else if (value.type & VT.Array) {
          out.text += arrayText(value.v as Scalar[]);
        } else {
          out.text += pieceText(value.v as Scalar);
        }
        return;
      }
      case 'tmpl':
        this.nodes(n.def.nodes, templateScope(n, scope), out, depth, tops);
        return;
      case 'pi':
        return;
      default:
        out.text += pieceText(n);
    }
  }

  private element(n: ElementNode, scope: Scope, out: Content, depth: number): void {
    const repeat = repeatingArray(n, scope);
    if (repeat) {
      if (repeat.items.length === 0) this.build(n, scope, repeat.index, undefined, out, depth);
      for (const item of repeat.items) this.build(n, scope, repeat.index, item, out, depth);
      return;
    }
    this.build(n, scope, -1, undefined, out, depth);
  }

  private build(n: ElementNode, scope: Scope, arrayIndex: number, item: Scalar | undefined, out: Content, depth: number): void {
    const pad = PADS[depth] ?? '  '.repeat(depth);
    let open = `${pad}<${n.name}`;
    for (const a of n.attrs) {
      const c: Content = { text: '', kids: [] };
      for (const p of a.parts) this.content(p, scope, c, depth + 1);
      if (c.text !== '') open += ` ${a.name}="${escapeXml(c.text)}"`;
    }
    const c: Content = { text: '', kids: [] };
    for (const k of n.children) {
      if (k.t === 'el') this.element(k, scope, c, depth + 1);
      else if (k.t === 'sub' && k.index === arrayIndex) c.text += item === undefined ? '' : pieceText(item);
      else this.content(k, scope, c, depth + 1);
    }
    if (c.kids.length === 0) {
      out.kids.push(c.text === '' ? `${open}/>` : `${open}>${escapeXml(c.text)}</${n.name}>`);
      return;
    }
    out.kids.push(`${open}>${escapeXml(c.text)}\n${c.kids.join('\n')}\n${pad}</${n.name}>`);
  }
}
