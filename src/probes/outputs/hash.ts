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

/** Two 32-bit lanes of a string's hash (lane a, lane b). Never 0/0 (0 marks an empty slot). */
export function hash2(s: string, out: Uint32Array): void {
  let h1 = 0xdeadbeef ^ s.length;
  let h2 = 0x41c6ce57 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  out[0] = h1 >>> 0;
  out[1] = (h2 >>> 0) || 1;
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
