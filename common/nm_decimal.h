/* nm_decimal.h - decimal numbers written without printf, for the
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

/** @brief The same for a signed v (at most 21 bytes, '-' first). */
static inline char *nm_decimal_signed_end(char *end, long long v) {
    char *p = nm_decimal_end(end, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
    if (v < 0) *--p = '-';
    return p;
}

#endif
