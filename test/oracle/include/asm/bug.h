/* SPDX-License-Identifier: MIT */
/*
 * The WARN family for the oracle: each firing is reported to the driver,
 * which records it against the script line being run. The *_ONCE forms
 * remember that they fired until the next script (or reset) begins.
 */
#ifndef ORACLE_ASM_BUG_H
#define ORACLE_ASM_BUG_H

#include <linux/compiler.h>
#include "oracle_hooks.h"

#define WARN(condition, format...) ({					\
	int __oracle_c = !!(condition);					\
	if (__oracle_c)							\
		oracle_warn(__FILE__, __LINE__, __func__);		\
	__oracle_c;							\
})

#define WARN_ON(condition) WARN(condition, "")

#define WARN_ONCE(condition, format...) ({				\
	static unsigned int __oracle_gen;				\
	int __oracle_c = !!(condition);					\
	if (__oracle_c && __oracle_gen != oracle_once_generation) {	\
		__oracle_gen = oracle_once_generation;			\
		oracle_warn(__FILE__, __LINE__, __func__);		\
	}								\
	__oracle_c;							\
})

#define WARN_ON_ONCE(condition) WARN_ONCE(condition, "")

#endif
