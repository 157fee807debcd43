// `--upload URL --token T` for hunt and scan: posts the JSON document to an exhunt serve instance.
// The service answers 201 the first time and 200 when it already has the same document.
import { UsageError } from '../core/errors.js';

export interface UploadTarget {
  url: string;
  token: string;
}

/** The endpoint for `kind`, given the service's base URL or the endpoint itself. */
export function uploadEndpoint(base: string, kind: 'reports' | 'scans', query: Record<string, string | undefined> = {}): URL {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new UsageError(`--upload: "${base}" is not a URL such as https://cert.example.org`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--upload: expected an http or https URL, got "${base}"`);
  if (!/\/api\/v1\/(reports|scans)\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v1/${kind}`;
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
  return u;
}

export function uploadTarget(url: string | undefined, token: string | undefined, env: Record<string, string | undefined>): UploadTarget | undefined {
  if (url === undefined) {
    if (token !== undefined) throw new UsageError('--token is only used with --upload URL');
    return undefined;
  }
  const t = token ?? env['EXHUNT_TOKEN'];
  if (!t) throw new UsageError('--upload needs the organisation\'s API token: --token T or the EXHUNT_TOKEN environment variable');
  return { url, token: t };
}

/** Posts the document; returns a one-line account, or throws with the service's own error text. */
export async function upload(target: UploadTarget, kind: 'reports' | 'scans', json: string, query: Record<string, string | undefined> = {}): Promise<string> {
  const endpoint = uploadEndpoint(target.url, kind, query);
  let res: Response;
  try {
    res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` }, body: json, redirect: 'error', signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new Error(`upload to ${endpoint.origin} failed: ${err instanceof Error ? err.message : String(err)}${cause}`);
  }
  const text = await res.text();
  let answer: { id?: string; error?: string } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    // Not our service, or a proxy's error page: report the status only.
  }
  if (res.status === 201) return `uploaded to ${endpoint.origin}: ${kind === 'reports' ? 'report' : 'scan'} ${answer.id ?? '?'}`;
  if (res.status === 200) return `already uploaded to ${endpoint.origin}: ${kind === 'reports' ? 'report' : 'scan'} ${answer.id ?? '?'} (same document)`;
  throw new Error(`upload to ${endpoint.origin} refused: HTTP ${res.status}${answer.error ? `: ${answer.error.slice(0, 500)}` : ''}`);
}
