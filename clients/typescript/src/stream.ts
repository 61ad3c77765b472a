// One ordered event stream: the user's (numbered by his event seq) or a group's (by its group
// seq). Events are handed on once each and in order: a repeat is dropped, an early one is held
// until the gap before it fills (by live delivery or by sync).

export class EventStream<T> {
  /** The highest seq handed on; undefined for a group whose events the client has not seen. */
  seq: number | undefined;
  private held = new Map<number, T>();

  constructor(seq?: number) {
    this.seq = seq;
  }

  /** True when events wait for an earlier one. */
  get waiting(): boolean {
    return this.held.size > 0;
  }

  /** Takes event number n and returns what can be handed on now, in order. */
  accept(n: number, event: T): T[] {
    if (this.seq === undefined) this.seq = n - 1; // the first event of a group new to the client
    if (n <= this.seq || this.held.has(n)) return [];
    this.held.set(n, event);
    return this.drain();
  }

  /**
   * The server says the stream ends at latest and that the sync before it replayed everything
   * it keeps: hand on what is held up to there even across a gap it cannot fill.
   */
  settle(latest: number): T[] {
    if (this.seq === undefined || this.seq > latest) {
      this.seq = this.seq === undefined ? latest : this.seq;
      return this.drain();
    }
    const out: T[] = [];
    for (const n of [...this.held.keys()].sort((a, b) => a - b)) {
      if (n > latest) break;
      out.push(this.held.get(n)!);
      this.held.delete(n);
      this.seq = n;
    }
    this.seq = Math.max(this.seq!, latest);
    return out.concat(this.drain());
  }

  private drain(): T[] {
    const out: T[] = [];
    while (this.seq !== undefined && this.held.has(this.seq + 1)) {
      this.seq++;
      out.push(this.held.get(this.seq)!);
      this.held.delete(this.seq);
    }
    return out;
  }
}
