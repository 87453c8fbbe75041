/* Two-hart benchmarks (SoC(harts=2)), hw (ATS-INTC) against software baselines.
 *
 * 1. Speedup of 2 harts over 1: K tasks, each run R times (N = K * R runs in all) with
 *    WORK cycles of work per run; a run re-wakes its task until its runs are used up.
 *    Both on the SMP executor (rt/smp_exec.h): hw = SX_HW_WFI (one ATS-INTC ready
 *    queue, process 0, shared by both harts through their own ports, C-FCFS; WFI on
 *    hart_irq when empty), sw = SX_SW (a software ready queue in the uncached RAM
 *    under a hardware spinlock, WFI + IPI). The time runs from the first wake to the
 *    end of the last run. Every run is counted per task and checked.
 * 2. Cross-core IPC one-way wake, SEND on hart 0 -> first instruction of the handler
 *    task on hart 1, whose executor (queue 1) is idle: hw: the handler is registered
 *    with HANDLER on process 1, channel 0; hart 0 SENDs; the controller makes it ready
 *    in process 1's queue, hart 1's executor dequeues it and calls it; measured with
 *    both hw idle modes (DEQUEUE_WAIT held in the controller, and WFI on hart_irq +
 *    DEQUEUE). sw-ipi: the executor's software channel: the message and the handler's
 *    wake in one critical section under queue 1's spinlock, then an IPI (hart 1
 *    sleeps in WFI until its MSIP). The sender is a task of queue 0 (hart 0 sends
 *    from main with its window, kept in a register: sx_send_win). Both sides read
 *    mcycle (the harts leave reset together, so their mcycle counters agree).
 *
 * Output: "RESULT <key> <value>" lines; exit code = failed checks. -DTASKS, -DRUNS and
 * -DSAMPLES set the sizes (atsintc.tools.bench_smp); -DSTRESS runs only the hw case
 * on two harts with 16 cycles of work (many runs: the exactly-once check at scale). */
#include <stdint.h>

#include "../rt/smp_exec.h"
#include "atsintc_regs.h"
#include "console.h"
#include "smp.h"
#include "soc.h"

#ifndef TASKS
#define TASKS 64
#endif
#ifndef RUNS
#define RUNS 40                         /* per task: N = TASKS * RUNS */
#endif
#ifndef SAMPLES
#define SAMPLES 100
#endif
#define INTC(p, reg) (ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p) + (reg))
#define KINTC(reg) (ATSINTC_KERNEL_BASE(SOC_ATSINTC_BASE) + (reg))

enum { IDLE, RUN_Q0, RUN_Q1, STOP };

/* shared (through SHARED()) */
static struct smp_cmd cmdbox;
static uint32_t ack_seq, work, t_end;
static uint32_t runs[TASKS], finished, ran_by[2];
static uint32_t t_recv[SAMPLES], t_send[SAMPLES], got[SAMPLES];
static sx_task tasks[TASKS], handler_task, sender_task;

static void spin(uint32_t n)
{
    uint32_t t = rdcycle32();
    while (rdcycle32() - t < n)
        ;
}

/* ---- 1: a short task: WORK cycles, then wake itself again or count itself finished ----- */
static void bench_task(sx_task *t)
{
    spin(SHARED(work));
    SHARED(runs[t->u[0]]) += 1;
    SHARED(ran_by[smp_hartid()]) += 1;
    if (--t->u[1]) {
        sx_wake(t);
        return;
    }
    smp_lock(0);
    uint32_t f = SHARED(finished) + 1;
    SHARED(finished) = f;
    smp_unlock(0);
    if (f == TASKS) {
        SHARED(t_end) = rdcycle32();
        sx_stop();
    }
}

/* ---- 2: the IPC handler task (queue 1, channel 0) ---------------------------------------- */
static void on_message(sx_task *t)
{
    uint32_t now = rdcycle32();         /* the handler's first instruction */
    uint32_t k = sx_recv(t, 0) - 1;
    if (k < SAMPLES) {
        SHARED(t_recv[k]) = now;
        SHARED(got[k]) += 1;
    }
    if (k + 1 < SAMPLES)
        sx_listen(t, 0);                /* (not after the last: none is left registered) */
    SHARED(ack_seq) += 1;               /* listening again: hart 0 may send */
}

/* ---- hart 1: runs an executor on command, sleeps in WFI between commands ---------------- */
void hart_main(int hart)
{
    uint32_t seen = 0;
    __asm__ volatile("csrs mie, %0" ::"r"(SMP_MIP_MSIP));
    for (;;) {
        uint32_t c = smp_next(&cmdbox, &seen, hart);
        if (c == RUN_Q0)
            sx_run((unsigned)hart, 0);
        else if (c == RUN_Q1)
            sx_run((unsigned)hart, 1);
        else if (c == STOP)
            return;
        SHARED(ack_seq) += 1;
    }
}

/* ---- hart 0 ------------------------------------------------------------------------- */
static void command(uint32_t c)
{
    smp_post(&cmdbox, c, 1);                            /* wake hart 1 */
}

static void result(const char *key, uint32_t v)
{
    console_puts("RESULT ");
    console_puts(key);
    console_putc(' ');
    console_put_uint(v);
    console_putc('\n');
}

static int speedup(enum sx_mode mode, int harts, uint32_t w, const char *key)
{
    SHARED(work) = w;
    SHARED(finished) = 0;
    SHARED(ran_by[0]) = SHARED(ran_by[1]) = 0;
    sx_init(mode, (unsigned)harts);
    uint32_t acks = SHARED(ack_seq);
    if (harts == 2)
        command(RUN_Q0);                /* hart 1's executor starts on the empty queue */
    uint32_t t0 = rdcycle32();
    for (int i = 0; i < TASKS; i++) {
        sx_task *t = sx_task_init(&tasks[i], bench_task, 0, 0);
        t->u[0] = (uint32_t)i;
        t->u[1] = RUNS;
        SHARED(runs[i]) = 0;
        sx_wake(t);
    }
    sx_run(0, 0);
    if (harts == 2)
        while (SHARED(ack_seq) == acks)
            ;
    result(key, SHARED(t_end) - t0);
    int bad = 0;
    for (int i = 0; i < TASKS; i++)
        bad += SHARED(runs[i]) != RUNS;
    bad += SHARED(ran_by[0]) + SHARED(ran_by[1]) != TASKS * RUNS;
    if (harts == 2)
        bad += SHARED(ran_by[1]) == 0;
    if (bad) {
        console_puts("FAIL: runs miscounted in ");
        console_puts(key);
        console_putc('\n');
    }
    return bad != 0;
}

static void sort(uint32_t *a, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint32_t x = a[j];
            a[j] = a[j - 1];
            a[j - 1] = x;
        }
}

static uint32_t lat[SAMPLES];

static int ipc(enum sx_mode mode, const char *key)
{
    sx_init(mode, 2);
    for (int k = 0; k < SAMPLES; k++)
        SHARED(got[k]) = 0;
    sx_task *h = sx_task_init(&handler_task, on_message, 0, 1);
    uintptr_t from = sx_task_init(&sender_task, 0, 0, 0)->win; /* a task never run */
    uint32_t acks = SHARED(ack_seq);
    sx_listen(h, 0);
    command(RUN_Q1);
    for (int k = 0; k < SAMPLES; k++) {
        if (k)
            while (SHARED(ack_seq) == acks + (uint32_t)k)   /* the handler waits again */
                ;
        spin(300);                                           /* hart 1 is asleep */
        uint32_t t = rdcycle32();
        sx_send_win(from, 1, 0, (uint32_t)k + 1);
        SHARED(t_send[k]) = t;
    }
    while (SHARED(ack_seq) != acks + SAMPLES)            /* the last message handled */
        ;
    sx_stop();
    while (SHARED(ack_seq) != acks + SAMPLES + 1)        /* hart 1's executor returned */
        ;
    int bad = 0;
    for (int k = 0; k < SAMPLES; k++) {
        lat[k] = SHARED(t_recv[k]) - SHARED(t_send[k]);
        bad += SHARED(got[k]) != 1;
    }
    sort(lat, SAMPLES);
    console_puts("RESULT ");
    console_puts(key);
    console_puts("_p50 ");
    console_put_uint(lat[SAMPLES / 2]);
    console_puts("\nRESULT ");
    console_puts(key);
    console_puts("_p99 ");
    console_put_uint(lat[SAMPLES * 99 / 100]);
    console_putc('\n');
    bad += mode == SX_SW && sx_errors_sw() != 0;
    return bad != 0 || lat[0] == 0 || lat[SAMPLES - 1] > 100000;
}

int main(void)
{
    int fails = 0;
    soc_write32(KINTC(ATSINTC_KERNEL_CAP(0)), 1u << 1);         /* process 0 -> 1 */
#ifdef STRESS
    fails += speedup(SX_HW_WFI, 2, 16, "hw_2harts_stress");
    result("tasks", TASKS * RUNS);
    result("failures", fails);
    command(STOP);
    return fails;
#endif
    static const uint32_t works[] = {64, 512};
    for (unsigned i = 0; i < sizeof works / sizeof works[0]; i++) {
        uint32_t w = works[i];
        console_puts("work ");
        console_put_uint(w);
        console_putc('\n');
        fails += speedup(SX_HW_WFI, 1, w, w == 64 ? "hw_1hart_64" : "hw_1hart_512");
        fails += speedup(SX_HW_WFI, 2, w, w == 64 ? "hw_2harts_64" : "hw_2harts_512");
        fails += speedup(SX_SW, 1, w, w == 64 ? "sw_1hart_64" : "sw_1hart_512");
        fails += speedup(SX_SW, 2, w, w == 64 ? "sw_2harts_64" : "sw_2harts_512");
    }
    fails += ipc(SX_HW_WAIT, "ipc_hw");
    fails += ipc(SX_HW_WFI, "ipc_hwwfi");
    fails += ipc(SX_SW, "ipc_swipi");
    result("tasks", TASKS * RUNS);
    result("failures", fails);
    command(STOP);
    return fails;
}
