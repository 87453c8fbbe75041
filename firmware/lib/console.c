#include "console.h"
#include "soc.h"

void console_putc(char c)
{
    soc_write32(SOC_SYSCTL_BASE + SOC_SYSCTL_CONSOLE, (uint8_t)c);
}

void console_puts(const char *s)
{
    while (*s)
        console_putc(*s++);
}

void console_put_uint64(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        /* no 64-bit division helper without libgcc/compiler-rt: divide by 10 by hand */
        uint64_t q = 0, r = 0;
        for (int b = 63; b >= 0; b--) {
            r = (r << 1) | ((v >> b) & 1);
            if (r >= 10) {
                r -= 10;
                q |= (uint64_t)1 << b;
            }
        }
        buf[--i] = (char)('0' + r);
        v = q;
    } while (v);
    console_puts(&buf[i]);
}

void console_put_uint(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    console_puts(&buf[i]);
}

void console_put_hex(uint32_t v)
{
    console_puts("0x");
    for (int s = 28; s >= 0; s -= 4)
        console_putc("0123456789abcdef"[(v >> s) & 15u]);
}

uint64_t soc_cycle(void)
{
    uint32_t hi, lo, hi2;
    do {
        hi = soc_read32(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_HI);
        lo = soc_read32(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_LO);
        hi2 = soc_read32(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_HI);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

void soc_exit(uint32_t code)
{
    soc_write32(SOC_SYSCTL_BASE + SOC_SYSCTL_EXIT, code);
    for (;;)
        ;
}
