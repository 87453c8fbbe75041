/* Multi-hart helpers for SoC(harts > 1): the hart's number, data shared through the
 * uncached RAM alias, the SoC's hardware spinlocks and software interrupts (MSIP). */
#ifndef SMP_H
#define SMP_H

#include <stdint.h>

#include "soc.h"

/* lvalue x accessed through the uncached alias of the RAM (VexRiscv's data caches are
 * not coherent between harts) */
#define SHARED(x) (*(volatile __typeof__(x) *)((uintptr_t)&(x) + \
                                                (SOC_RAM_UNCACHED_BASE - SOC_RAM_BASE)))
#define SMP_MIP_MSIP (1u << 3)

static inline uint32_t smp_hartid(void)
{
    return soc_read32(SOC_SMP_BASE + SOC_SMP_HARTID);
}

static inline void smp_lock(int i)          /* test-and-set: a read takes a free lock */
{
    while (!soc_read32(SOC_SMP_BASE + SOC_SMP_LOCK(i)))
        ;
}

static inline void smp_unlock(int i)
{
    soc_write32(SOC_SMP_BASE + SOC_SMP_LOCK(i), 0);
}

static inline void smp_ipi(int hart)        /* raise hart's machine software interrupt */
{
    soc_write32(SOC_SMP_BASE + SOC_SMP_MSIP(hart), 1);
}

/* Sleep in WFI until this hart's MSIP is set (mie.MSIE must be set; with mstatus.MIE
 * off no trap is taken), then clear it. */
static inline void smp_wait_ipi(int hart)
{
    for (;;) {
        uint32_t mip;
        __asm__ volatile("csrr %0, mip" : "=r"(mip));
        if (mip & SMP_MIP_MSIP)
            break;
        __asm__ volatile("wfi");
    }
    soc_write32(SOC_SMP_BASE + SOC_SMP_MSIP(hart), 0);
}

#endif /* SMP_H */
