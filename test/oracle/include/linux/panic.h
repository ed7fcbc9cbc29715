/* SPDX-License-Identifier: MIT */
/* panic() for the oracle: reported to the driver, which stops the script. */
#ifndef ORACLE_LINUX_PANIC_H
#define ORACLE_LINUX_PANIC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "oracle_hooks.h"

#define panic oracle_panic

#endif
