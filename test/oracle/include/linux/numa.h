/* SPDX-License-Identifier: MIT */
/* Node constants with the oracle's configured MAX_NUMNODES. */
#ifndef ORACLE_LINUX_NUMA_H
#define ORACLE_LINUX_NUMA_H

#include <stdbool.h>

#ifndef ORACLE_MAX_NUMNODES
#error "build with -DORACLE_MAX_NUMNODES=N"
#endif

#define MAX_NUMNODES	(ORACLE_MAX_NUMNODES)
#define NUMA_NO_NODE	(-1)

static inline bool numa_valid_node(int nid)
{
	return nid >= 0 && nid < MAX_NUMNODES;
}

#endif
