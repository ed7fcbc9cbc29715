/**
 * The buddy page allocator of one zone (mm/page_alloc.c), reduced to what
 * early boot and its reports need: free_area[0..MAX_PAGE_ORDER] lists of
 * free blocks, merging with the buddy on free, splitting on allocation.
 *
 * Model: one free list per order (the kernel keeps one per migrate type; at
 * boot every pageblock is MIGRATE_MOVABLE, so the movable lists are the only
 * non-empty ones). Lists are ordered like the kernel's: blocks freed by
 * memblock_free_all go to the tail (FPI_TO_TAIL), other frees to the head
 * unless a merge with the next-higher buddy looks likely, and allocation
 * takes the head. Per-cpu page lists are not modelled: every free reaches
 * the buddy lists at once.
 */

/** A doubly linked free list of block start pfns. */
class FreeList {
  private next = new Map<bigint, bigint | null>();
  private prev = new Map<bigint, bigint | null>();
  private head: bigint | null = null;
  private tail: bigint | null = null;

  get nr_free(): number {
    return this.next.size;
  }
  has(pfn: bigint): boolean {
    return this.next.has(pfn);
  }
  first(): bigint | null {
    return this.head;
  }
  addHead(pfn: bigint): void {
    this.next.set(pfn, this.head);
    this.prev.set(pfn, null);
    if (this.head !== null) this.prev.set(this.head, pfn);
    else this.tail = pfn;
    this.head = pfn;
  }
  addTail(pfn: bigint): void {
    this.prev.set(pfn, this.tail);
    this.next.set(pfn, null);
    if (this.tail !== null) this.next.set(this.tail, pfn);
    else this.head = pfn;
    this.tail = pfn;
  }
  remove(pfn: bigint): void {
    const n = this.next.get(pfn);
    const p = this.prev.get(pfn);
    if (n === undefined || p === undefined) throw new Error(`buddy: pfn ${pfn} is not on this free list`);
    if (p === null) this.head = n;
    else this.next.set(p, n);
    if (n === null) this.tail = p;
    else this.prev.set(n, p);
    this.next.delete(pfn);
    this.prev.delete(pfn);
  }
  /** Blocks from head to tail. */
  *[Symbol.iterator](): IterableIterator<bigint> {
    for (let p = this.head; p !== null; p = this.next.get(p)!) yield p;
  }
}

/** The buddy allocator state of one zone. */
export class BuddyZone {
  /** free_area[order]: blocks of 2^order free pages. */
  readonly free_area: FreeList[];
  /** Pages handed to the allocator (zone->managed_pages). */
  managed_pages = 0n;
  /** Pages currently free in the lists. */
  nr_free_pages = 0n;

  /**
   * @name: zone name for reports
   * @nid: node id
   * @zone_start_pfn / @spanned_pages: the pfns this zone covers
   * @max_page_order: MAX_PAGE_ORDER
   */
  constructor(readonly name: string, readonly nid: number, readonly zone_start_pfn: bigint,
              readonly spanned_pages: bigint, readonly present_pages: bigint, readonly max_page_order: number) {
    this.free_area = Array.from({ length: max_page_order + 1 }, () => new FreeList());
  }

  /** zone_spans_pfn */
  spans(pfn: bigint): boolean {
    return pfn >= this.zone_start_pfn && pfn < this.zone_start_pfn + this.spanned_pages;
  }

  /**
   * __free_one_page - put the block of 2^@order pages at @pfn back, merging with free buddies
   * @to_tail: add the final block at the tail of its list (FPI_TO_TAIL)
   *
   * Precondition: the block is inside the zone, aligned to its order, and not free.
   */
  private freeOne(pfn: bigint, order: number, toTail: boolean): void {
    this.nr_free_pages += 1n << BigInt(order);
    while (order < this.max_page_order) {
      const buddy = pfn ^ (1n << BigInt(order));
      if (!this.spans(buddy) || !this.free_area[order].has(buddy)) break;
      this.free_area[order].remove(buddy);
      pfn &= buddy;
      order++;
    }
    let tail = toTail;
    if (!tail && order < this.max_page_order - 1) tail = this.mergeLikely(pfn, order);
    if (tail) this.free_area[order].addTail(pfn);
    else this.free_area[order].addHead(pfn);
  }

  /** buddy_merge_likely: is the buddy of the next-higher block free, so this one should wait at the tail? */
  private mergeLikely(pfn: bigint, order: number): boolean {
    const higher = pfn & ~((1n << BigInt(order + 1)) - 1n);
    const higherBuddy = higher ^ (1n << BigInt(order + 1));
    return this.spans(higherBuddy) && this.free_area[order + 1].has(higherBuddy);
  }

  /**
   * free_boot_pages - memblock_free_pages: hand 2^@order boot pages at @pfn to the allocator
   * (they count as managed, and go to the tail of their list)
   */
  freeBootPages(pfn: bigint, order: number): void {
    this.checkBlock(pfn, order);
    this.managed_pages += 1n << BigInt(order);
    this.freeOne(pfn, order, true);
  }

  /** free_pages: give back a block obtained from allocPages. */
  freePages(pfn: bigint, order: number): void {
    this.checkBlock(pfn, order);
    if (this.isFree(pfn)) throw new Error(`buddy: double free of pfn ${pfn.toString(16)} in zone ${this.name}`);
    this.freeOne(pfn, order, false);
  }

  /**
   * alloc_pages - take a block of 2^@order pages: the head of the smallest
   * non-empty list of at least that order, split down, the upper halves going
   * back to the heads of the lower lists.
   * Return: the first pfn, or null when no block is large enough.
   */
  allocPages(order: number): bigint | null {
    for (let current = order; current <= this.max_page_order; current++) {
      const pfn = this.free_area[current].first();
      if (pfn === null) continue;
      this.free_area[current].remove(pfn);
      let high = current;
      while (high > order) {
        high--;
        this.free_area[high].addHead(pfn + (1n << BigInt(high)));
      }
      this.nr_free_pages -= 1n << BigInt(order);
      return pfn;
    }
    return null;
  }

  /** Is @pfn inside some free block? */
  isFree(pfn: bigint): boolean {
    for (let order = 0; order <= this.max_page_order; order++) {
      const start = pfn & ~((1n << BigInt(order)) - 1n);
      if (this.free_area[order].has(start)) return true;
    }
    return false;
  }

  /** Free block counts per order, as /proc/buddyinfo shows them. */
  counts(): number[] {
    return this.free_area.map((l) => l.nr_free);
  }

  /** Every free block, lowest first: [pfn, order]. */
  freeBlocks(): [bigint, number][] {
    const out: [bigint, number][] = [];
    this.free_area.forEach((list, order) => {
      for (const pfn of list) out.push([pfn, order]);
    });
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  private checkBlock(pfn: bigint, order: number): void {
    if (order < 0 || order > this.max_page_order) throw new Error(`buddy: order ${order} outside 0..${this.max_page_order}`);
    if ((pfn & ((1n << BigInt(order)) - 1n)) !== 0n) throw new Error(`buddy: pfn ${pfn.toString(16)} not aligned to order ${order}`);
    const end = pfn + (1n << BigInt(order));
    if (!this.spans(pfn) || end > this.zone_start_pfn + this.spanned_pages) {
      throw new Error(`buddy: pages ${pfn.toString(16)}+${1 << order} are outside zone ${this.name} of node ${this.nid}`);
    }
  }
}

/** `/proc/buddyinfo` for populated zones. */
export function buddyinfo(zones: BuddyZone[]): string[] {
  return zones
    .filter((z) => z.present_pages > 0n)
    .map((z) => `Node ${z.nid}, zone ${z.name.padStart(8)} ${z.counts().map((c) => String(c).padStart(6) + " ").join("")}`);
}
