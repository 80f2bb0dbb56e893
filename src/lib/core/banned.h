/* SPDX-License-Identifier: MIT */
/*
 * Functions that cannot be used safely, turned into compile errors (as in git's banned.h).
 * Included last by every source file in src/.
 */
#ifndef RMCP_BANNED_H
#define RMCP_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef sscanf
#define sscanf(...) BANNED(sscanf)
#undef atoi
#define atoi(x) BANNED(atoi)

#endif
