/* Bus timing as seen from the CPU: rdcycle deltas around uncached MMIO accesses
 * (SoC control CYCLE_LO, and an ATS-INTC register) and cached RAM accesses. Each
 * figure is the delta minus the delta of an empty measurement. */
#include <stdint.h>

#include "atsintc_regs.h"
#include "console.h"
#include "soc.h"

#define CYC ((volatile uint32_t *)(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_LO))
#define MTCMP ((volatile uint32_t *)(SOC_SYSCTL_BASE + SOC_SYSCTL_MTIMECMP_HI))
#define ATS_COUNT ((volatile uint32_t *)(ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, 0) + \
                                         ATSINTC_PROC_READY_COUNT))

static volatile uint32_t ram_word;

#define MEASURE(name, body)                                                   \
    __attribute__((noinline)) static uint32_t name(void)                      \
    {                                                                         \
        uint32_t t0, t1, v = 0;                                               \
        __asm__ volatile("rdcycle %0" : "=r"(t0));                            \
        body;                                                                 \
        __asm__ volatile("rdcycle %0" : "=r"(t1) : "r"(v));                   \
        return t1 - t0;                                                       \
    }

MEASURE(m_empty, (void)0)
MEASURE(m_load, v = *CYC)
MEASURE(m_load4, v = *CYC; v += *CYC; v += *CYC; v += *CYC)
MEASURE(m_store, *MTCMP = 0xFFFFFFFFu)
MEASURE(m_store8, for (int i = 0; i < 8; i++) *MTCMP = 0xFFFFFFFFu)
MEASURE(m_ats_load, v = *ATS_COUNT)
MEASURE(m_ram_load, v = ram_word)
MEASURE(m_ram_store, ram_word = 1)

static void report(const char *name, uint32_t (*f)(void), uint32_t base, int n)
{
    uint32_t d = 0;
    for (int i = 0; i < 3; i++)     /* warm the instruction cache, keep the last */
        d = f();
    console_puts(name);
    console_puts(": ");
    console_put_uint(d - base);
    if (n > 1) {
        console_puts(" for ");
        console_put_uint((uint32_t)n);
    }
    console_putc('\n');
}

int main(void)
{
    uint32_t base = 0;
    for (int i = 0; i < 3; i++)
        base = m_empty();
    console_puts("empty measurement: ");
    console_put_uint(base);
    console_putc('\n');
    report("uncached load (sysctl)", m_load, base, 1);
    report("uncached loads back-to-back (sysctl)", m_load4, base, 4);
    report("uncached store (sysctl)", m_store, base, 1);
    report("uncached stores back-to-back (sysctl)", m_store8, base, 8);
    report("uncached load (atsintc READY_COUNT)", m_ats_load, base, 1);
    report("cached load (RAM, hit)", m_ram_load, base, 1);
    report("store (RAM, write-through)", m_ram_store, base, 1);
    return 0;
}
