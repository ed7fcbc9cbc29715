/* SPDX-License-Identifier: MIT */
/* Cache-line size with the oracle's configured SMP_CACHE_BYTES. */
#ifndef ORACLE_LINUX_CACHE_H
#define ORACLE_LINUX_CACHE_H

#ifndef ORACLE_SMP_CACHE_BYTES
#error "build with -DORACLE_SMP_CACHE_BYTES=N"
#endif

#define SMP_CACHE_BYTES	(ORACLE_SMP_CACHE_BYTES)
#define L1_CACHE_BYTES	SMP_CACHE_BYTES

#endif
