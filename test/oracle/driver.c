// SPDX-License-Identifier: MIT
/*
 * memblock oracle driver.
 *
 * Compiles the kernel's own mm/memblock.c (included below, from a kernel
 * source tree given at build time) together with a small interpreter for
 * the normalised op stream that test/oracle/oracle.ts sends. For every
 * script it starts from the kernel's static initial state, runs the calls,
 * and reports results, dumps, warnings, a panic and the final state as
 * JSON fragments, one per line:
 *
 *   W <line> <message>      a WARN firing or a dump_stack()
 *   R <line> <json>         the value a call returned
 *   D <line> <json>         {"memory":…,"reserved":…} at a dump
 *   P <line> <message>      panic()/BUG(): the script stops
 *   F <json>                the final state
 *   .                       end of this script's report
 *
 * Input, one script after another:
 *
 *   B <movable_node 0|1> <mirrored_kernelcore 0|1>
 *   <line> <op> <arg>...    u64 in hex, ints in decimal, bools 0/1, type names
 *   E
 *
 * Build-time configuration (see oracle.ts): ORACLE_ERA (61, 612 or 72),
 * ORACLE_MAX_NUMNODES, ORACLE_PAGE_SHIFT, ORACLE_SMP_CACHE_BYTES,
 * ARCH_LOW_ADDRESS_LIMIT, INIT_MEMBLOCK_MEMORY_REGIONS and
 * INIT_MEMBLOCK_RESERVED_REGIONS.
 *
 * Emulated RAM. The kernel code touches physical memory in three ways:
 * memblock_double_array() moves a region array to __va(addr) and later
 * frees the old one by __pa(); memblock_alloc_try_nid() zeroes the block
 * it hands out through phys_to_virt(). Each doubled array gets host memory
 * of its own, recorded with its physical address, so the array really is
 * "at" that address for __pa() and for zeroing. A block handed out by the
 * allocators gets a token pointer (inside a PROT_NONE reservation, never
 * dereferenced) that remembers its physical address; zeroing through it
 * clears exactly the bytes of recorded arrays that the physical range
 * covers. No other memory content is observable by memblock, so this is
 * the whole of what RAM has to model, and it never touches gigabytes.
 */

#define _GNU_SOURCE
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/init.h>
#include <linux/bitops.h>
#include <linux/poison.h>
#include <linux/pfn.h>
#include <linux/debugfs.h>
#include <linux/kmemleak.h>
#include <linux/seq_file.h>
#include <linux/memblock.h>
#include <asm/sections.h>
#include <linux/io.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>

#include "oracle_hooks.h"

/* Only the memblock translation unit sees the memset wrapper. */
#define memset oracle_memset
#include "memblock.c"
#undef memset

#ifndef ORACLE_ERA
#error "build with -DORACLE_ERA=61|612|72"
#endif

/* ------------------------------------------------------------------------ */
/* Things the harness normally links in; none is reachable from the calls
 * the driver makes (slab is never available), so each one aborts loudly. */

static void stub_called(const char *what)
{
	fprintf(stderr, "oracle: unreachable stub called: %s\n", what);
	abort();
}

bool movable_node_enabled;

bool slab_is_available(void) { return false; }
void *kmalloc(size_t size, gfp_t gfp) { stub_called("kmalloc"); return NULL; }
void kfree(void *p) { if (p) stub_called("kfree"); }
#if ORACLE_ERA == 72
void free_reserved_page(struct page *page) { stub_called("free_reserved_page"); }
#elif ORACLE_ERA == 612
void reserve_bootmem_region(phys_addr_t start, phys_addr_t end, int nid) { stub_called("reserve_bootmem_region"); }
#else
void reserve_bootmem_region(phys_addr_t start, phys_addr_t end) { stub_called("reserve_bootmem_region"); }
#endif
struct pglist_data *first_online_pgdat(void) { return NULL; }
struct pglist_data *next_online_pgdat(struct pglist_data *pgdat) { return NULL; }
void atomic_long_set(atomic_long_t *v, long i) { }
unsigned long long memparse(const char *ptr, char **retptr) { stub_called("memparse"); return 0; }
/* tools/lib/ctype.c's table, for reserve_mem's parser (never run). */
const unsigned char _ctype[256];

/* ------------------------------------------------------------------------ */
/* Output */

static FILE *out;
static int cur_line;

/* ------------------------------------------------------------------------ */
/* Panics */

static jmp_buf panic_jmp;
static int panic_armed;
static char panic_msg[512];

static void __attribute__((noreturn)) stop_script(void)
{
	if (!panic_armed) {
		fprintf(stderr, "oracle: panic outside a call: %s\n", panic_msg);
		abort();
	}
	longjmp(panic_jmp, 1);
}

void oracle_panic(const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(panic_msg, sizeof(panic_msg), fmt, ap);
	va_end(ap);
	n = strlen(panic_msg);
	while (n && panic_msg[n - 1] == '\n')
		panic_msg[--n] = 0;
	stop_script();
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

void oracle_bug(const char *file, int line, const char *func)
{
	snprintf(panic_msg, sizeof(panic_msg), "kernel BUG at mm/%s:%d (%s)", base_name(file), line, func);
	stop_script();
}

/* ------------------------------------------------------------------------ */
/* Warnings */

unsigned int oracle_once_generation = 1;

void oracle_warn(const char *file, int line, const char *func)
{
	fprintf(out, "W %d WARNING: at mm/%s:%d %s\n", cur_line, base_name(file), line, func);
}

void oracle_dump_stack(const char *func, int line)
{
	fprintf(out, "W %d dump_stack() from %s (mm/memblock.c:%d)\n", cur_line, func, line);
}

/* ------------------------------------------------------------------------ */
/* Emulated RAM */

struct ram_block {
	unsigned long long phys;
	size_t len;
	unsigned char *host;
};

static struct ram_block *blocks;
static size_t nblocks, cap_blocks;

/* Token pointers for allocated blocks: token_base + k stands for tokens[k]. */
#define TOKEN_SPACE (1ULL << 32)
static unsigned char *token_base;
static unsigned long long *tokens;
static size_t ntokens, cap_tokens;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		abort();
	}
	return p;
}

/* Where a non-static array lives: its recorded block (or NULL). */
static const struct ram_block *array_block(const struct memblock_type *t)
{
	size_t i;

	for (i = nblocks; i-- > 0;)
		if ((unsigned char *)t->regions == blocks[i].host)
			return &blocks[i];
	return NULL;
}

static int ranges_overlap(unsigned long long a, unsigned long long alen,
			  unsigned long long b, unsigned long long blen)
{
	unsigned long long alast = a + alen - 1, blast = b + blen - 1;

	if (!alen || !blen)
		return 0;
	if (alast < a)
		alast = ~0ULL;
	if (blast < b)
		blast = ~0ULL;
	return a <= blast && b <= alast;
}

/*
 * The contract leaves it undefined when memory is handed out (for an array
 * or by an allocator) over a region array that is in use: that only happens
 * after the array's reservation was freed or limited away, or when the
 * reserved array doubles while a new memory array is not reserved yet.
 * Report it, so that such scripts are not taken as conformance evidence.
 */
static void check_live_arrays(unsigned long long phys, unsigned long long len, const char *what)
{
	const struct memblock_type *types[2] = { &memblock.memory, &memblock.reserved };
	int k;

	for (k = 0; k < 2; k++) {
		const struct ram_block *b = array_block(types[k]);

		if (b && ranges_overlap(phys, len, b->phys,
					PAGE_ALIGN(types[k]->max * sizeof(struct memblock_region))))
			fprintf(out, "U %d %s [0x%llx+0x%llx] overlaps the %s array in use\n",
				cur_line, what, phys, len, types[k]->name);
	}
}

void *oracle_va(unsigned long long phys, const void *type)
{
	const struct memblock_type *t = type;
	size_t len = PAGE_ALIGN(2 * t->max * sizeof(struct memblock_region));
	void *host;

	check_live_arrays(phys, len, "a doubled array");
	host = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED) {
		fprintf(stderr, "oracle: cannot map %zu bytes for an array\n", len);
		abort();
	}
	if (nblocks == cap_blocks) {
		cap_blocks = cap_blocks ? 2 * cap_blocks : 16;
		blocks = xrealloc(blocks, cap_blocks * sizeof(*blocks));
	}
	blocks[nblocks].phys = phys;
	blocks[nblocks].len = len;
	blocks[nblocks].host = host;
	nblocks++;
	return host;
}

void *oracle_phys_to_virt(unsigned long long phys)
{
	if (ntokens == cap_tokens) {
		cap_tokens = cap_tokens ? 2 * cap_tokens : 64;
		tokens = xrealloc(tokens, cap_tokens * sizeof(*tokens));
	}
	if (ntokens >= TOKEN_SPACE) {
		fprintf(stderr, "oracle: too many allocations\n");
		abort();
	}
	tokens[ntokens] = phys;
	return token_base + ntokens++;
}

static int is_token(const volatile void *p)
{
	const unsigned char *c = (const unsigned char *)p;

	return c >= token_base && c < token_base + ntokens;
}

unsigned long long oracle_pa(const volatile void *virt)
{
	const unsigned char *p = (const unsigned char *)virt;
	size_t i;

	if (is_token(p))
		return tokens[p - token_base];
	for (i = nblocks; i-- > 0;)
		if (p >= blocks[i].host && p < blocks[i].host + blocks[i].len)
			return blocks[i].phys + (unsigned long long)(p - blocks[i].host);
	fprintf(stderr, "oracle: __pa() of a pointer that is not emulated RAM\n");
	abort();
}

void *oracle_memset(void *p, int c, size_t n)
{
	unsigned long long start, last;
	size_t i;

	if (!is_token(p))
		return memset(p, c, n);
	if (!n)
		return p;
	start = tokens[(unsigned char *)p - token_base];
	last = start + (n - 1);
	if (last < start)
		last = ~0ULL;
	for (i = 0; i < nblocks; i++) {
		unsigned long long bstart = blocks[i].phys;
		unsigned long long blast = bstart + (blocks[i].len - 1);
		unsigned long long lo, hi;

		if (blast < bstart)
			blast = ~0ULL;
		lo = start > bstart ? start : bstart;
		hi = last < blast ? last : blast;
		if (lo <= hi)
			memset(blocks[i].host + (lo - bstart), c, (size_t)(hi - lo) + 1);
	}
	return p;
}

static void ram_reset(void)
{
	size_t i;

	for (i = 0; i < nblocks; i++)
		munmap(blocks[i].host, blocks[i].len);
	nblocks = 0;
	ntokens = 0;
}

/* ------------------------------------------------------------------------ */
/* The kernel's initial state, as the static initialisers left it */

static struct memblock initial_memblock;
static struct memblock_type *initial_memblock_memory;

static void snapshot_initial_state(void)
{
	initial_memblock = memblock;
	initial_memblock_memory = memblock_memory;
}

static void restore_initial_state(void)
{
	memblock = initial_memblock;
	memset(memblock_memory_init_regions, 0, sizeof(memblock_memory_init_regions));
	memset(memblock_reserved_init_regions, 0, sizeof(memblock_reserved_init_regions));
	memblock_memory = initial_memblock_memory;
	memblock_debug = 0;
	system_has_some_mirror = false;
	memblock_can_resize = 0;
	memblock_memory_in_slab = 0;
	memblock_reserved_in_slab = 0;
	ram_reset();
	oracle_once_generation++;
}

/* ------------------------------------------------------------------------ */
/* JSON */

static void put_type(const struct memblock_type *t)
{
	unsigned long i;

	fprintf(out, "{\"cnt\":%lu,\"max\":%lu,\"total_size\":\"0x%llx\",\"regions\":[",
		t->cnt, t->max, (unsigned long long)t->total_size);
	for (i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];

		fprintf(out, "%s{\"base\":\"0x%llx\",\"size\":\"0x%llx\",\"flags\":%d,\"nid\":%d}",
			i ? "," : "", (unsigned long long)r->base, (unsigned long long)r->size,
			(int)r->flags, memblock_get_region_node(r));
	}
	fputs("]}", out);
}

static void put_types(void)
{
	fputs("{\"memory\":", out);
	put_type(&memblock.memory);
	fputs(",\"reserved\":", out);
	put_type(&memblock.reserved);
	fputs("}", out);
}

/* ------------------------------------------------------------------------ */
/* Calls */

#define MAX_ARGS 8

struct step {
	int line;
	char op[64];
	int nargs;
	char arg[MAX_ARGS][40];
};

static unsigned long long U(const struct step *s, int i)
{
	return strtoull(s->arg[i], NULL, 0);
}

static int I(const struct step *s, int i)
{
	return (int)strtol(s->arg[i], NULL, 0);
}

static struct memblock_type *T(const struct step *s, int i)
{
	if (!strcmp(s->arg[i], "memory"))
		return &memblock.memory;
	if (!strcmp(s->arg[i], "reserved"))
		return &memblock.reserved;
	fprintf(stderr, "oracle: bad type %s\n", s->arg[i]);
	exit(1);
}

static void ret_int(int line, int v) { fprintf(out, "R %d %d\n", line, v); }
static void ret_u64(int line, unsigned long long v) { fprintf(out, "R %d \"0x%llx\"\n", line, v); }
static void ret_bool(int line, bool v) { fprintf(out, "R %d %s\n", line, v ? "true" : "false"); }
static void ret_void(int line) { fprintf(out, "R %d null\n", line); }
static void ret_ptr(int line, void *p) { ret_u64(line, p ? oracle_pa(p) : 0); }

/* An allocation's result, checked against the arrays in use. */
static void ret_alloc(int line, unsigned long long addr, unsigned long long size)
{
	if (addr)
		check_live_arrays(addr, size, "an allocation");
	ret_u64(line, addr);
}

static unsigned long long pa_of(void *p)
{
	return p ? oracle_pa(p) : 0;
}

/* A list result, built in memory and printed when the walk is over. */
static char *list_buf;
static size_t list_len;
static FILE *list_out;
static int list_n;

static void list_begin(void)
{
	list_out = open_memstream(&list_buf, &list_len);
	list_n = 0;
}

static void __attribute__((format(printf, 1, 2))) list_item(const char *fmt, ...)
{
	va_list ap;

	if (list_n++)
		fputc(',', list_out);
	va_start(ap, fmt);
	vfprintf(list_out, fmt, ap);
	va_end(ap);
}

static void list_end(int line)
{
	fclose(list_out);
	fprintf(out, "R %d [%s]\n", line, list_buf);
	free(list_buf);
	list_buf = NULL;
}

#if ORACLE_ERA == 61
/* Not in 6.1: memblock_reserved_mark_noinit(), done the way 6.12 does it
 * (isolate the reserved range, set the flag, merge) with 6.1's primitives. */
static int backport_reserved_mark_noinit(phys_addr_t base, phys_addr_t size)
{
	struct memblock_type *type = &memblock.reserved;
	int i, ret, start_rgn, end_rgn;

	ret = memblock_isolate_range(type, base, size, &start_rgn, &end_rgn);
	if (ret)
		return ret;
	for (i = start_rgn; i < end_rgn; i++)
		type->regions[i].flags |= 0x10;
	memblock_merge_regions(type);
	return 0;
}
#endif

static int call_reserve_kern(phys_addr_t base, phys_addr_t size)
{
#if ORACLE_ERA == 72
	return memblock_reserve_kern(base, size);
#else
	/* Not before 6.16: what 7.2's inline does, on this era's add_range. */
	return memblock_add_range(&memblock.reserved, base, size, NUMA_NO_NODE,
				  (enum memblock_flags)0x20);
#endif
}

static int call_reserved_mark_noinit(phys_addr_t base, phys_addr_t size)
{
#if ORACLE_ERA == 61
	return backport_reserved_mark_noinit(base, size);
#else
	return memblock_reserved_mark_noinit(base, size);
#endif
}

static void run_step(const struct step *s)
{
	const char *op = s->op;
	int L = s->line;

#define IS(name) (!strcmp(op, name))
	if (IS("reset")) {
		restore_initial_state();
	} else if (IS("dump")) {
		fprintf(out, "D %d ", L);
		put_types();
		fputc('\n', out);
	} else if (IS("memblock_allow_resize")) {
		memblock_allow_resize();
		ret_void(L);
	} else if (IS("memblock_set_bottom_up")) {
		memblock_set_bottom_up(I(s, 0) != 0);
		ret_void(L);
	} else if (IS("memblock_set_current_limit")) {
		memblock_set_current_limit(U(s, 0));
		ret_void(L);
	} else if (IS("memblock_add")) {
		ret_int(L, memblock_add(U(s, 0), U(s, 1)));
	} else if (IS("memblock_add_node")) {
		ret_int(L, memblock_add_node(U(s, 0), U(s, 1), I(s, 2), (enum memblock_flags)I(s, 3)));
	} else if (IS("memblock_remove")) {
		ret_int(L, memblock_remove(U(s, 0), U(s, 1)));
	} else if (IS("memblock_reserve")) {
		ret_int(L, memblock_reserve(U(s, 0), U(s, 1)));
	} else if (IS("memblock_phys_free")) {
		ret_int(L, memblock_phys_free(U(s, 0), U(s, 1)));
	} else if (IS("memblock_reserve_kern")) {
		ret_int(L, call_reserve_kern(U(s, 0), U(s, 1)));
	} else if (IS("memblock_mark_hotplug")) {
		ret_int(L, memblock_mark_hotplug(U(s, 0), U(s, 1)));
	} else if (IS("memblock_clear_hotplug")) {
		ret_int(L, memblock_clear_hotplug(U(s, 0), U(s, 1)));
	} else if (IS("memblock_mark_mirror")) {
		ret_int(L, memblock_mark_mirror(U(s, 0), U(s, 1)));
	} else if (IS("memblock_mark_nomap")) {
		ret_int(L, memblock_mark_nomap(U(s, 0), U(s, 1)));
	} else if (IS("memblock_clear_nomap")) {
		ret_int(L, memblock_clear_nomap(U(s, 0), U(s, 1)));
	} else if (IS("memblock_reserved_mark_noinit")) {
		ret_int(L, call_reserved_mark_noinit(U(s, 0), U(s, 1)));
	} else if (IS("memblock_set_node")) {
		ret_int(L, memblock_set_node(U(s, 0), U(s, 1), T(s, 2), I(s, 3)));
	} else if (IS("memblock_enforce_memory_limit")) {
		memblock_enforce_memory_limit(U(s, 0));
		ret_void(L);
	} else if (IS("memblock_cap_memory_range")) {
		memblock_cap_memory_range(U(s, 0), U(s, 1));
		ret_void(L);
	} else if (IS("memblock_mem_limit_remove_map")) {
		memblock_mem_limit_remove_map(U(s, 0));
		ret_void(L);
	} else if (IS("memblock_trim_memory")) {
		memblock_trim_memory(U(s, 0));
		ret_void(L);
	} else if (IS("memblock_phys_alloc")) {
		ret_alloc(L, memblock_phys_alloc(U(s, 0), U(s, 1)), U(s, 0));
	} else if (IS("memblock_phys_alloc_range")) {
		ret_alloc(L, memblock_phys_alloc_range(U(s, 0), U(s, 1), U(s, 2), U(s, 3)), U(s, 0));
	} else if (IS("memblock_phys_alloc_try_nid")) {
		ret_alloc(L, memblock_phys_alloc_try_nid(U(s, 0), U(s, 1), I(s, 2)), U(s, 0));
	} else if (IS("memblock_alloc")) {
		ret_alloc(L, pa_of(memblock_alloc(U(s, 0), U(s, 1))), U(s, 0));
	} else if (IS("memblock_alloc_raw")) {
		ret_alloc(L, pa_of(memblock_alloc_raw(U(s, 0), U(s, 1))), U(s, 0));
	} else if (IS("memblock_alloc_from")) {
		ret_alloc(L, pa_of(memblock_alloc_from(U(s, 0), U(s, 1), U(s, 2))), U(s, 0));
	} else if (IS("memblock_alloc_low")) {
		ret_alloc(L, pa_of(memblock_alloc_low(U(s, 0), U(s, 1))), U(s, 0));
	} else if (IS("memblock_alloc_node")) {
		ret_alloc(L, pa_of(memblock_alloc_node(U(s, 0), U(s, 1), I(s, 2))), U(s, 0));
	} else if (IS("memblock_alloc_try_nid")) {
		ret_alloc(L, pa_of(memblock_alloc_try_nid(U(s, 0), U(s, 1), U(s, 2), U(s, 3), I(s, 4))), U(s, 0));
	} else if (IS("memblock_alloc_try_nid_raw")) {
		ret_alloc(L, pa_of(memblock_alloc_try_nid_raw(U(s, 0), U(s, 1), U(s, 2), U(s, 3), I(s, 4))), U(s, 0));
	} else if (IS("memblock_alloc_exact_nid_raw")) {
		ret_alloc(L, pa_of(memblock_alloc_exact_nid_raw(U(s, 0), U(s, 1), U(s, 2), U(s, 3), I(s, 4))), U(s, 0));
	} else if (IS("memblock_alloc_range_nid")) {
		ret_alloc(L, memblock_alloc_range_nid(U(s, 0), U(s, 1), U(s, 2), U(s, 3), I(s, 4), I(s, 5) != 0), U(s, 0));
	} else if (IS("memblock_phys_mem_size")) {
		ret_u64(L, memblock_phys_mem_size());
	} else if (IS("memblock_reserved_size")) {
		ret_u64(L, memblock_reserved_size());
	} else if (IS("memblock_start_of_DRAM")) {
		ret_u64(L, memblock_start_of_DRAM());
	} else if (IS("memblock_end_of_DRAM")) {
		/* With no memory the kernel reads regions[-1] (the dummy entry of
		 * 6.1 keeps cnt at 1): undefined, so not run. */
		if (!memblock.memory.cnt) {
			fprintf(out, "U %d memblock_end_of_DRAM with no memory\n", L);
			ret_u64(L, 0);
		} else {
			ret_u64(L, memblock_end_of_DRAM());
		}
	} else if (IS("memblock_is_memory")) {
		ret_bool(L, memblock_is_memory(U(s, 0)));
	} else if (IS("memblock_is_map_memory")) {
		ret_bool(L, memblock_is_map_memory(U(s, 0)));
	} else if (IS("memblock_is_reserved")) {
		ret_bool(L, memblock_is_reserved(U(s, 0)));
	} else if (IS("memblock_is_region_memory")) {
		ret_bool(L, memblock_is_region_memory(U(s, 0), U(s, 1)));
	} else if (IS("memblock_is_region_reserved")) {
		ret_bool(L, memblock_is_region_reserved(U(s, 0), U(s, 1)));
	} else if (IS("for_each_free_mem_range") || IS("for_each_free_mem_range_reverse")) {
		phys_addr_t start, end;
		int nid;
		u64 i;

		/* Items are collected first: a WARN_ONCE may fire mid-walk (6.1). */
		list_begin();
		if (IS("for_each_free_mem_range")) {
			for_each_free_mem_range(i, I(s, 0), (enum memblock_flags)I(s, 1), &start, &end, &nid)
				list_item("[\"0x%llx\",\"0x%llx\",%d]", (unsigned long long)start,
					  (unsigned long long)end, nid);
		} else {
			for_each_free_mem_range_reverse(i, I(s, 0), (enum memblock_flags)I(s, 1), &start, &end, &nid)
				list_item("[\"0x%llx\",\"0x%llx\",%d]", (unsigned long long)start,
					  (unsigned long long)end, nid);
		}
		list_end(L);
	} else if (IS("for_each_reserved_mem_region")) {
		struct memblock_region *r;

		list_begin();
		for_each_reserved_mem_region(r)
			list_item("[\"0x%llx\",\"0x%llx\"]", (unsigned long long)r->base,
				  (unsigned long long)(r->base + r->size));
		list_end(L);
	} else if (IS("for_each_mem_pfn_range")) {
		unsigned long spfn, epfn;
		int i, nid;

		list_begin();
		for_each_mem_pfn_range(i, I(s, 0), &spfn, &epfn, &nid)
			list_item("[\"0x%lx\",\"0x%lx\",%d]", spfn, epfn, nid);
		list_end(L);
	} else {
		fprintf(stderr, "oracle: unknown op %s at line %d\n", op, L);
		exit(1);
	}
#undef IS
}

/* ------------------------------------------------------------------------ */
/* Main loop */

static struct step *steps;
static size_t nsteps, cap_steps;

static void run_script(int movable, int mirror)
{
	volatile size_t k;

	restore_initial_state();
	movable_node_enabled = movable;
	mirrored_kernelcore = mirror;

	for (k = 0; k < nsteps; k++) {
		cur_line = steps[k].line;
		if (setjmp(panic_jmp)) {
			panic_armed = 0;
			fprintf(out, "P %d %s\n", cur_line, panic_msg);
			break;
		}
		panic_armed = 1;
		run_step(&steps[k]);
		panic_armed = 0;
	}
	fputs("F {\"memory\":", out);
	put_type(&memblock.memory);
	fputs(",\"reserved\":", out);
	put_type(&memblock.reserved);
	fprintf(out, ",\"bottom_up\":%s,\"current_limit\":\"0x%llx\"}\n.\n",
		memblock.bottom_up ? "true" : "false",
		(unsigned long long)memblock.current_limit);
	fflush(out);
}

int main(void)
{
	char buf[1024];
	int movable = 0, mirror = 0, in_script = 0;
	int devnull;

	/* The protocol goes to the original stdout; whatever the kernel code
	 * prints (pr_*, printf) goes nowhere. */
	out = fdopen(dup(1), "w");
	devnull = open("/dev/null", O_WRONLY);
	if (!out || devnull < 0) {
		perror("oracle");
		return 1;
	}
	dup2(devnull, 1);
	setvbuf(out, NULL, _IOFBF, 1 << 16);

	token_base = mmap(NULL, TOKEN_SPACE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (token_base == MAP_FAILED) {
		perror("oracle: mmap");
		return 1;
	}
	snapshot_initial_state();

	while (fgets(buf, sizeof(buf), stdin)) {
		if (buf[0] == 'B') {
			if (sscanf(buf + 1, "%d %d", &movable, &mirror) != 2) {
				fprintf(stderr, "oracle: bad B line\n");
				return 1;
			}
			nsteps = 0;
			in_script = 1;
		} else if (buf[0] == 'E') {
			if (!in_script) {
				fprintf(stderr, "oracle: E without B\n");
				return 1;
			}
			run_script(movable, mirror);
			in_script = 0;
		} else {
			struct step *s;
			char *tok, *save;

			if (!in_script) {
				fprintf(stderr, "oracle: op outside a script\n");
				return 1;
			}
			if (nsteps == cap_steps) {
				cap_steps = cap_steps ? 2 * cap_steps : 256;
				steps = xrealloc(steps, cap_steps * sizeof(*steps));
			}
			s = &steps[nsteps++];
			memset(s, 0, sizeof(*s));
			tok = strtok_r(buf, " \t\n", &save);
			s->line = tok ? atoi(tok) : 0;
			tok = strtok_r(NULL, " \t\n", &save);
			if (!tok || strlen(tok) >= sizeof(s->op)) {
				fprintf(stderr, "oracle: bad op line\n");
				return 1;
			}
			strcpy(s->op, tok);
			while ((tok = strtok_r(NULL, " \t\n", &save))) {
				if (s->nargs == MAX_ARGS || strlen(tok) >= sizeof(s->arg[0])) {
					fprintf(stderr, "oracle: bad argument\n");
					return 1;
				}
				strcpy(s->arg[s->nargs++], tok);
			}
		}
	}
	return 0;
}
