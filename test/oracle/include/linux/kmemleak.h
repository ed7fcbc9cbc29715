/* SPDX-License-Identifier: MIT */
/* kmemleak does nothing at this stage; dump_stack() is reported as a warning. */
#ifndef ORACLE_LINUX_KMEMLEAK_H
#define ORACLE_LINUX_KMEMLEAK_H

#include "oracle_hooks.h"

static inline void kmemleak_free_part_phys(phys_addr_t phys, size_t size)
{
}

static inline void kmemleak_alloc_phys(phys_addr_t phys, size_t size, gfp_t gfp)
{
}

#define dump_stack()	oracle_dump_stack(__func__, __LINE__)

#endif
