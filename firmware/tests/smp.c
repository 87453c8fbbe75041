/* Two harts (SoC(harts=2)): one ATS-INTC ready queue shared through the harts' own
 * ports, hardware spinlocks and a software interrupt.
 *
 * Hart 0 enqueues N tasks (priorities 0..7) into process 0's ready queue and dequeues
 * some of them; hart 1 dequeues the rest. Every task must be run exactly once (counts
 * in the uncached RAM alias, shared by the harts). Both harts also increment a shared
 * counter ITER times under spinlock 0, and hart 0 wakes hart 1 from WFI with MSIP.
 * Exit code 0 if all checks pass, else the number of failed checks. */
#include <stdint.h>

#include "atsintc_regs.h"
#include "console.h"
#include "smp.h"
#include "soc.h"

#define N 400
#define ITER 200
#define INTC(p, reg) (ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p) + (reg))

static uint32_t ran[N];                 /* times task i ran */
static uint32_t ran_by[2];              /* tasks each hart ran */
static uint32_t counter;                /* under spinlock 0 */
static uint32_t producer_done, hart1_done, hart1_woken, hart1_id;

static uint32_t task(int i)
{
    return ((uint32_t)(i + 1) << 4) | ((uint32_t)(i % 8) << ATSINTC_PRIO_SHIFT);
}

static int consume(int hart)
{
    uint32_t w = soc_read32(INTC(0, ATSINTC_PROC_DEQUEUE));
    if (!w)
        return 0;
    int i = (int)(w >> 4) - 1;
    if (i >= 0 && i < N)
        SHARED(ran[i]) += 1;
    SHARED(ran_by[hart]) += 1;
    return 1;
}

static void count(void)
{
    for (int k = 0; k < ITER; k++) {
        smp_lock(0);
        SHARED(counter) += 1;
        smp_unlock(0);
    }
}

void hart_main(int hart)
{
    SHARED(hart1_id) = smp_hartid();
    count();
    for (;;) {
        int done = SHARED(producer_done);      /* read before the last dequeue */
        if (!consume(hart) && done)
            break;
    }
    SHARED(hart1_done) = 1;
    /* sleep until hart 0's software interrupt (mie.MSIE set, global MIE off) */
    __asm__ volatile("csrs mie, %0" ::"r"(SMP_MIP_MSIP));
    smp_wait_ipi(hart);
    SHARED(hart1_woken) = 1;
}

static int check(const char *what, uint32_t got, uint32_t want)
{
    console_puts(what);
    console_put_uint(got);
    if (got == want) {
        console_puts(" ok\n");
        return 0;
    }
    console_puts(" FAIL, want ");
    console_put_uint(want);
    console_puts("\n");
    return 1;
}

int main(void)
{
    int fails = 0;
    fails += check("hart 0 HARTID ", smp_hartid(), 0);
    count();
    for (int i = 0; i < N; i++) {
        soc_write32(INTC(0, ATSINTC_PROC_ENQUEUE), task(i));
        if (i % 4 == 3)
            consume(0);
    }
    SHARED(producer_done) = 1;
    while (!SHARED(hart1_done))
        consume(0);
    while (consume(0))
        ;
    uint32_t once = 0;
    for (int i = 0; i < N; i++)
        once += SHARED(ran[i]) == 1;
    fails += check("hart 1 HARTID ", SHARED(hart1_id), 1);
    fails += check("tasks run exactly once ", once, N);
    fails += check("tasks run ", SHARED(ran_by[0]) + SHARED(ran_by[1]), N);
    console_puts("hart 0 ran ");
    console_put_uint(SHARED(ran_by[0]));
    console_puts(", hart 1 ran ");
    console_put_uint(SHARED(ran_by[1]));
    console_puts("\n");
    fails += SHARED(ran_by[1]) == 0;            /* hart 1 took part */
    fails += check("locked counter ", SHARED(counter), 2 * ITER);
    smp_ipi(1);
    uint32_t t0 = rdcycle32();
    while (!SHARED(hart1_woken) && rdcycle32() - t0 < 100000)
        ;
    fails += check("hart 1 woken by MSIP ", SHARED(hart1_woken), 1);
    fails += check("MSIP cleared ", soc_read32(SOC_SMP_BASE + SOC_SMP_MSIP(1)), 0);
    return fails;
}
