/* Integer multiply / divide helpers for RV32I cores without the M extension
 * (VexRiscv_Min on the iCEBreaker): clang emits calls to these for `*`, `/` and `%`
 * and, with -nostdlib, there is no compiler-rt to provide them. Shift-and-add /
 * shift-and-subtract, one bit per iteration: small, not fast. Division by zero
 * returns all ones (quotient) and the dividend (remainder), like the M extension. */
#include <stdint.h>

uint32_t __mulsi3(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    while (b) {
        if (b & 1u)
            r += a;
        a <<= 1;
        b >>= 1;
    }
    return r;
}

static uint32_t udivmod(uint32_t n, uint32_t d, uint32_t *rem)
{
    uint32_t q = 0, r = 0;
    if (d == 0) {
        *rem = n;
        return 0xFFFFFFFFu;
    }
    for (int b = 31; b >= 0; b--) {
        r = (r << 1) | ((n >> b) & 1u);
        if (r >= d) {
            r -= d;
            q |= 1u << b;
        }
    }
    *rem = r;
    return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    return udivmod(n, d, &r);
}

uint32_t __umodsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    udivmod(n, d, &r);
    return r;
}

int32_t __divsi3(int32_t a, int32_t b)
{
    uint32_t r;
    if (b == 0)
        return -1;
    uint32_t q = udivmod(a < 0 ? -(uint32_t)a : (uint32_t)a,
                         b < 0 ? -(uint32_t)b : (uint32_t)b, &r);
    return (a < 0) != (b < 0) ? -(int32_t)q : (int32_t)q;
}

int32_t __modsi3(int32_t a, int32_t b)
{
    uint32_t r;
    if (b == 0)
        return a;
    udivmod(a < 0 ? -(uint32_t)a : (uint32_t)a, b < 0 ? -(uint32_t)b : (uint32_t)b, &r);
    return a < 0 ? -(int32_t)r : (int32_t)r;
}
