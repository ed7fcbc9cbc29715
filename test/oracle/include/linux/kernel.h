/* SPDX-License-Identifier: MIT */
/*
 * BUG_ON() must evaluate its condition (memblock passes calls to it) and,
 * when true, stop the script like a panic. The harness header defines
 * BUG_ON only when it is not defined yet, and BUG() in terms of BUG_ON.
 */
#ifndef ORACLE_LINUX_KERNEL_H
#define ORACLE_LINUX_KERNEL_H

#include "oracle_hooks.h"

#define BUG_ON(cond) do {						\
	if (cond)							\
		oracle_bug(__FILE__, __LINE__, __func__);		\
} while (0)

#include_next <linux/kernel.h>

#endif
