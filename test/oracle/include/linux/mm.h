/* SPDX-License-Identifier: MIT */
/*
 * The harness's mm.h with the oracle's page size and with the address
 * translations routed to the driver's emulated RAM (the harness maps a
 * physical address to the same number as a pointer, which would need the
 * whole 64-bit space). __va() passes the memblock_type being doubled: its
 * one use is in memblock_double_array(), where `type` is in scope.
 */
#ifndef ORACLE_LINUX_MM_H
#define ORACLE_LINUX_MM_H

#ifndef ORACLE_PAGE_SHIFT
#error "build with -DORACLE_PAGE_SHIFT=N"
#endif

#include "oracle_hooks.h"
#include_next <linux/mm.h>

#undef PAGE_SHIFT
#undef PAGE_SIZE
#undef PAGE_MASK
#define PAGE_SHIFT	(ORACLE_PAGE_SHIFT)
#define PAGE_SIZE	(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#undef __va
#undef __pa
#undef __pa_symbol
#undef phys_to_virt
#undef virt_to_phys
#define __va(x)			oracle_va((unsigned long long)(x), type)
#define __pa(x)			((unsigned long)oracle_pa((const volatile void *)(x)))
#define __pa_symbol(x)		__pa(x)
#define phys_to_virt(x)		oracle_phys_to_virt((unsigned long long)(x))
#define virt_to_phys(x)		((phys_addr_t)oracle_pa((const volatile void *)(x)))

#endif
