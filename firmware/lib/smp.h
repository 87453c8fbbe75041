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

/* A FIFO of nonzero words in shared memory under spinlock `lock` (SMP_RING words). */
#define SMP_RING 64
struct smp_ring {
    uint32_t buf[SMP_RING], head, tail;
};

static inline void smp_ring_push(struct smp_ring *r, int lock, uint32_t w)
{
    smp_lock(lock);
    SHARED(r->buf[SHARED(r->tail) % SMP_RING]) = w;
    SHARED(r->tail) += 1;
    smp_unlock(lock);
}

static inline uint32_t smp_ring_pop(struct smp_ring *r, int lock)    /* 0: empty */
{
    uint32_t w = 0;
    smp_lock(lock);
    if (SHARED(r->head) != SHARED(r->tail)) {
        w = SHARED(r->buf[SHARED(r->head) % SMP_RING]);
        SHARED(r->head) += 1;
    }
    smp_unlock(lock);
    return w;
}

/* Commands from hart 0 to a sleeping hart: smp_post() stores the command and raises
 * the hart's IPI; smp_next() sleeps until a command newer than *seen arrives. */
struct smp_cmd {
    uint32_t cmd, seq;
};

static inline void smp_post(struct smp_cmd *m, uint32_t cmd, int hart)
{
    SHARED(m->cmd) = cmd;
    SHARED(m->seq) += 1;
    smp_ipi(hart);
}

static inline uint32_t smp_next(struct smp_cmd *m, uint32_t *seen, int hart)
{
    while (SHARED(m->seq) == *seen)
        smp_wait_ipi(hart);
    *seen = SHARED(m->seq);
    return SHARED(m->cmd);
}

#endif /* SMP_H */
