/* Cold part of the runtime: initialisation, calibration, result lines (see rt.h). */
#include "rt.h"

void rt_backend_init(void);

/* SoC CYCLE - mcycle. A CYCLE load issued right after rdcycle samples the counter in
 * its bus request cycle, 2 cycles after the rdcycle (VexRiscv: the load's command
 * leaves in the cycle after its execute stage); the minimum over a few tries has no
 * cache miss in it. */
static void calibrate(void)
{
    int32_t best = 0x7FFFFFFF;
    for (int i = 0; i < 8; i++) {
        uint32_t a = rdcycle32();
        uint32_t c = RT_MMIO(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_LO);
        int32_t d = (int32_t)(c - a);
        if (d < best)
            best = d;
    }
    rt_cycle_offset = best - 2;
}

void rt_init(void)
{
    calibrate();
    rt_stop = 0;
    rt_idle = 0;
#if !defined(BACKEND_HW)
    for (unsigned b = 1; b < 256; b++) {
        unsigned p = 0;
        while (!(b & (1u << p)))
            p++;
        rt_lowbit[b] = (uint8_t)p;
    }
#endif
    rt_backend_init();
}

/* ---- result lines ---------------------------------------------------------------------- */

void rt_result_begin(const char *bench)
{
    console_puts("RESULT ");
    console_puts(bench);
    console_puts(" " RT_BACKEND);
}

void rt_kv(const char *key, uint32_t value)
{
    console_putc(' ');
    console_puts(key);
    console_putc('=');
    console_put_uint(value);
}

void rt_kv_signed(const char *key, int32_t value)
{
    console_putc(' ');
    console_puts(key);
    console_putc('=');
    if (value < 0) {
        console_putc('-');
        value = -value;
    }
    console_put_uint((uint32_t)value);
}

void rt_result_end(void)
{
    console_putc('\n');
}

void rt_sort(uint32_t *a, uint32_t n)
{
    static const uint32_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};   /* Ciura */
    for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        uint32_t gap = gaps[g];
        for (uint32_t i = gap; i < n; i++) {
            uint32_t x = a[i], j = i;
            while (j >= gap && a[j - gap] > x) {
                a[j] = a[j - gap];
                j -= gap;
            }
            a[j] = x;
        }
    }
}

/* Nearest-rank percentile of a sorted array. */
uint32_t rt_percentile(const uint32_t *sorted, uint32_t n, uint32_t pct)
{
    if (!n)
        return 0;
    uint32_t rank = (pct * n + 99) / 100;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

int rt_check(int ok, const char *what)
{
    console_puts(ok ? "CHECK ok " : "CHECK FAIL ");
    console_puts(RT_BACKEND " ");
    console_puts(what);
    console_putc('\n');
    return ok;
}
