/* nm_decimal.h - unsigned decimal numbers written without printf, for the
 * per-article and per-batch writers (the event writer, the Redis commands),
 * where vsnprintf's setup cost more than the digits. */
#ifndef NM_DECIMAL_H
#define NM_DECIMAL_H

/** @brief Write the decimal digits of v just before `end` (at most 20
 *  bytes); @returns where they start. */
static inline char *nm_decimal_end(char *end, unsigned long long v) {
    do *--end = (char)('0' + v % 10); while (v /= 10);
    return end;
}

#endif
