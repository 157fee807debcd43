// Everything in a report that came from evidence is attacker-controlled. In HTML it is only ever
// placed as text or as a quoted attribute value, escaped here; it never becomes a tag, an attribute
// name, a URL or script.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
// Controls (except tab and newline) and direction overrides would garble or disguise what is shown.
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Text or a double-quoted attribute value. */
export function esc(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  return String(value)
    .replace(/[&<>"'`]/g, (c) => ENTITIES[c]!)
    .replace(INVISIBLE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** `2021-03-03T06:49:42.162Z` → `2021-03-03 06:49:42 UTC`. */
export function when(iso: string | undefined | null): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—';
}

/** A class name or id built from our own vocabulary (severity, stage, phase): letters, digits and dashes only. */
export function token(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}
