/* SPDX-License-Identifier: MIT */
/*
 * Hooks between the memblock translation unit and the oracle driver.
 *
 * The overlay headers in this directory shadow a handful of the kernel
 * harness headers (tools/include, tools/testing/memblock) so that the
 * configuration constants come from the oracle's build flags and so that
 * WARN, BUG, panic, dump_stack and the physical/virtual translations report
 * to the driver instead of printing or aborting.
 */
#ifndef ORACLE_HOOKS_H
#define ORACLE_HOOKS_H

#include <stddef.h>

/* A WARN* that fired at @file:@line in @func. */
void oracle_warn(const char *file, int line, const char *func);
/* A dump_stack() call at @line in @func. */
void oracle_dump_stack(const char *func, int line);
/* BUG()/BUG_ON(): unwinds to the driver, never returns. */
void oracle_bug(const char *file, int line, const char *func) __attribute__((noreturn));
/* panic(): unwinds to the driver, never returns. */
void oracle_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* __va()/phys_to_virt() and __pa()/virt_to_phys() over the emulated RAM;
 * __va() is only used by memblock_double_array(), for the @type it doubles. */
void *oracle_va(unsigned long long phys, const void *type);
void *oracle_phys_to_virt(unsigned long long phys);
unsigned long long oracle_pa(const volatile void *virt);
/* memset() as seen by the memblock translation unit. */
void *oracle_memset(void *p, int c, size_t n);

/* Bumped for every script (and every reset): WARN_ONCE fires again. */
extern unsigned int oracle_once_generation;

#endif
