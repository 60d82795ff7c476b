/**
 * Cheap, order-independent fingerprints of a channel's rows, so three channels of a million rows
 * each are compared without holding any of them in memory (docs/DESIGN.md "Output channels"):
 * - a 64-bit hash per text (two 32-bit lanes of a multiply-xorshift hash over UTF-16 code units);
 * - a set of those hashes in a flat open-addressing table (16 bytes a key), to find repeated keys;
 * - per column, the sum modulo 2^32 (two lanes) of value x weight(key): equal for two channels
 *   holding the same (key, value) pairs in any order, and different (with probability 1 - 2^-64)
 *   as soon as one value of one row differs.
 * Not cryptographic: a channel that wants to fool the monitor can; one that is wrong by accident
 * cannot.
 */

/** The hash's final mix of both lanes into out (lane b never 0: 0/0 marks an empty slot). */
function finish(h1: number, h2: number, out: Uint32Array): void {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  out[0] = h1 >>> 0;
  out[1] = (h2 >>> 0) || 1;
}

/** Two 32-bit lanes of a string's hash (lane a, lane b). Never 0/0 (0 marks an empty slot). */
export function hash2(s: string, out: Uint32Array): void {
  let h1 = 0xdeadbeef ^ s.length;
  let h2 = 0x41c6ce57 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  finish(h1, h2, out);
}

/** A growing set of 64-bit hashes (two Uint32 lanes per slot); `add` answers whether it was new. */
export class HashSet64 {
  private slots: Uint32Array;
  private mask: number;
  size = 0;
  constructor(expected = 1024) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }
  add(a: number, b: number): boolean {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    return this.insert(this.slots, this.mask, a, b);
  }
  private insert(slots: Uint32Array, mask: number, a: number, b: number): boolean {
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const sa = slots[i * 2]!;
      const sb = slots[i * 2 + 1]!;
      if (sb === 0) {
        slots[i * 2] = a;
        slots[i * 2 + 1] = b;
        if (slots === this.slots) this.size++;
        return true;
      }
      if (sa === a && sb === b) return false;
      i = (i + 1) & mask;
    }
  }
  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    const next = new Uint32Array(cap * 2);
    const mask = cap - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(next, mask, old[i]!, old[i + 1]!);
    this.slots = next;
    this.mask = mask;
  }
}

/** hash2 of the ASCII text in bytes [s, e) (the same lanes as of the string); false when not ASCII. */
export function hashAscii(buf: Uint8Array, s: number, e: number, out: Uint32Array): boolean {
  const len = e - s;
  let h1 = 0xdeadbeef ^ len;
  let h2 = 0x41c6ce57 ^ len;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return false;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  finish(h1, h2, out);
  return true;
}

/** hash2 of the UTF-8 text in bytes [s, e) of buf. */
export function hashUtf8(buf: Buffer, s: number, e: number, out: Uint32Array): void {
  if (!hashAscii(buf, s, e, out)) hash2(buf.toString("utf8", s, e), out);
}

/** Above this many runs of increasing keys, or this much key text, KeySet uses the hash set. */
const MAX_RUNS = 256;
const MAX_KEY_BYTES = 64 << 20;
/** Slow look-ups (a key not above every key so far) allowed per key on average before the hash set. */
const SLOW_STEPS_PER_KEY = 32;

/**
 * The keys seen so far, to find repeated ones, in the order-aware way output rows allow: they
 * usually come sorted by their key (files), or nearly so (a database table's physical order: a
 * few rows placed elsewhere). The keys' bytes are kept in arrival order, as runs of strictly
 * increasing keys:
 * - a key above every key so far cannot repeat one: it is appended, nothing is looked up (no
 *   cache miss per key, where a HashSet64 of a million keys misses on nearly every insert);
 * - any other key is looked up by binary search in each earlier run whose range holds it;
 * - past MAX_RUNS runs, MAX_KEY_BYTES of keys or too many look-ups (keys in no useful order), or
 *   for a key given as a hash only (a quoted row), every key so far goes into a HashSet64, used
 *   from then on.
 * The same answers as a HashSet64 of the keys' hashes (except that two different keys with the
 * same 64-bit hash are not taken for one); `size` counts the distinct keys.
 */
export class KeySet {
  private set: HashSet64 | null = null;
  private bytes: Buffer;
  private used = 0;
  /** offs[i]: where key i starts in `bytes` (key i ends where key i + 1 starts; offs[n] = used). */
  private offs: Int32Array;
  private n = 0;
  /** The first key of each run; the last run is the current one. */
  private runs: number[] = [0];
  /** The greatest key so far. */
  private maxIdx = -1;
  private slowSteps = 0;
  private readonly h = new Uint32Array(2);

  constructor(private readonly expected = 1024) {
    const keys = Math.max(1024, Math.min(expected, 1 << 24));
    this.bytes = Buffer.allocUnsafeSlow(keys * 12);
    this.offs = new Int32Array(keys + 1);
  }

  get size(): number {
    return this.set ? this.set.size : this.n;
  }

  /** Adds the key whose UTF-8 text is bytes [s, e) of buf and whose hash is (a, b); false: seen before. */
  addBytes(buf: Uint8Array, s: number, e: number, a: number, b: number): boolean {
    if (this.set !== null) return this.set.add(a, b);
    const n = this.n;
    if (n > 0 && this.compare(buf, s, e, this.maxIdx) <= 0) {
      // not above every key: a new run unless it continues the current one, then the look-up
      if (this.compare(buf, s, e, n - 1) <= 0 && this.runs[this.runs.length - 1] !== n) {
        this.runs.push(n);
        if (this.runs.length > MAX_RUNS) return this.toSet().add(a, b);
      }
      if (this.seen(buf, s, e)) return false;
      if (this.slowSteps > SLOW_STEPS_PER_KEY * n + 4096) return this.toSet().add(a, b);
    } else this.maxIdx = n;
    this.append(buf, s, e);
    if (this.used > MAX_KEY_BYTES) this.toSet();
    return true;
  }

  /** Adds a key by its hash alone (a key given as a string): from now on the hash set. */
  add(a: number, b: number): boolean {
    return (this.set ?? this.toSet()).add(a, b);
  }

  /** Bytes [s, e) of buf against key i: <0, 0, >0. */
  private compare(buf: Uint8Array, s: number, e: number, i: number): number {
    const keys = this.bytes;
    const ks = this.offs[i]!;
    const kl = this.offs[i + 1]! - ks;
    const len = e - s;
    const m = len < kl ? len : kl;
    for (let j = 0; j < m; j++) {
      const d = buf[s + j]! - keys[ks + j]!;
      if (d !== 0) return d;
    }
    return len - kl;
  }

  /** Whether bytes [s, e) are an earlier key: binary search in each run whose range holds them. */
  private seen(buf: Uint8Array, s: number, e: number): boolean {
    const runs = this.runs;
    const n = this.n;
    for (let r = 0; r < runs.length; r++) {
      let lo = runs[r]!;
      let hi = (r + 1 < runs.length ? runs[r + 1]! : n) - 1;
      this.slowSteps++;
      if (hi < lo || this.compare(buf, s, e, lo) < 0 || this.compare(buf, s, e, hi) > 0) continue;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const c = this.compare(buf, s, e, mid);
        this.slowSteps++;
        if (c === 0) return true;
        if (c < 0) hi = mid - 1;
        else lo = mid + 1;
      }
    }
    return false;
  }

  private append(buf: Uint8Array, s: number, e: number): void {
    const len = e - s;
    if (this.used + len > this.bytes.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + len));
      this.bytes.copy(next, 0, 0, this.used);
      this.bytes = next;
    }
    if (this.n + 2 > this.offs.length) {
      const next = new Int32Array(this.offs.length * 2);
      next.set(this.offs);
      this.offs = next;
    }
    const keys = this.bytes;
    let u = this.used;
    for (let j = s; j < e; j++) keys[u++] = buf[j]!;
    this.used = u;
    this.offs[++this.n] = u;
  }

  /** Every key so far into a HashSet64, used from now on. */
  private toSet(): HashSet64 {
    const set = new HashSet64(Math.max(this.expected, this.n));
    const h = this.h;
    for (let i = 0; i < this.n; i++) {
      hashUtf8(this.bytes, this.offs[i]!, this.offs[i + 1]!, h);
      set.add(h[0]!, h[1]!);
    }
    this.set = set;
    this.bytes = Buffer.alloc(0);
    this.offs = new Int32Array(0);
    this.runs = [];
    return set;
  }
}

/** Order-independent checksum of (key, value) pairs of one column: two 32-bit lanes. */
export class ColumnChecksum {
  a = 0;
  b = 0;
  /** `v`: the value as an integer (numbers scaled to whole units) or a text hash lane. */
  addInt(v: number, wa: number, wb: number): void {
    if (v >= 0 && v < 4294967296) {
      this.a = (this.a + Math.imul(v >>> 0, wa)) >>> 0;
      this.b = (this.b + Math.imul(v >>> 0, wb)) >>> 0;
      return;
    }
    // ToUint32 keeps the low 32 bits of an exact integer (values below 2^53).
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    this.a = (this.a + Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), wa)) >>> 0;
    this.b = (this.b + Math.imul(lo + hi, wb) + Math.imul(hi, 0xc2b2ae35)) >>> 0;
  }
  toString(): string {
    return this.a.toString(16).padStart(8, "0") + this.b.toString(16).padStart(8, "0");
  }
}

/** Neumaier's compensated sum: the same total to the last bit or two in any order of addition. */
export class Sum {
  s = 0;
  c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}
