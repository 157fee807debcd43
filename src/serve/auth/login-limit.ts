// Login rate limiting: after MAX_FAILURES failed sign-ins for one account, or MAX_FAILURES_PER_ADDRESS
// from one client address (higher: an office behind one NAT address shares it), within WINDOW_MS,
// further attempts are refused (429 with Retry-After) until the window passes. A success takes
// back only its own attempt, so signing into one's own account does not reset an address's count.
// Kept in memory: a restart forgets, which is acceptable for slowing down password guessing.
export const MAX_FAILURES = 5;
export const MAX_FAILURES_PER_ADDRESS = 50;
export const WINDOW_MS = 15 * 60_000;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly max = MAX_FAILURES, private readonly maxPerAddress = MAX_FAILURES_PER_ADDRESS, private readonly windowMs = WINDOW_MS) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Seconds to wait before another attempt is allowed, or 0. */
  retryAfter(ip: string, email: string, now = Date.now()): number {
    let wait = 0;
    for (const key of [`ip:${ip}`, `user:${email.toLowerCase()}`]) {
      const list = this.recent(key, now);
      if (list.length >= (key.startsWith('ip:') ? this.maxPerAddress : this.max)) wait = Math.max(wait, Math.ceil((list[0]! + this.windowMs - now) / 1000));
    }
    return wait;
  }

  fail(ip: string, email: string, now = Date.now()): void {
    for (const key of [`ip:${ip}`, `user:${email.toLowerCase()}`]) this.failures.set(key, [...this.recent(key, now), now]);
    // Bound memory under a spray from many addresses: forget the oldest keys.
    if (this.failures.size > 100_000) for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
  }

  /** A sign-in succeeded: its own attempt no longer counts against the address, and the account starts afresh. */
  forgive(ip: string, email: string): void {
    this.failures.delete(`user:${email.toLowerCase()}`);
    const list = this.failures.get(`ip:${ip}`);
    if (list) list.pop();
  }
}
