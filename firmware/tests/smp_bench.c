/* Two-hart benchmarks (SoC(harts=2)), hw (ATS-INTC) against software baselines.
 *
 * 1. Speedup of 2 harts over 1: K tasks, each run R times (N = K * R runs in all) with
 *    WORK cycles of work per run; a run re-enqueues its task until its runs are used
 *    up. hw: one ATS-INTC ready queue (process 0) shared by both harts through their
 *    own ports (C-FCFS). sw: a FIFO ring in the uncached RAM under hardware spinlock 0
 *    (VexRiscv's AMOs are local to a core, so a software lock across harts needs the
 *    SoC's test-and-set spinlock). Every run is counted per task and checked.
 * 2. Cross-core IPC one-way wake, SEND on hart 0 -> first instruction of the handler on
 *    hart 1, which is idle in its dispatch loop: hw: hart 1 has registered a handler
 *    task on process 1, channel 0 and waits in DEQUEUE_WAIT on process 1 (its own
 *    port); hart 0 SENDs; the dispatcher calls the task it dequeued. sw-ipi (what an
 *    SMP RTOS does): hart 0 puts the message in a shared ring under spinlock 1 and
 *    raises hart 1's MSIP; hart 1 sleeps in WFI, takes the software-interrupt trap,
 *    whose handler moves the message to the receiver and makes the handler task ready
 *    in hart 1's ready list (under spinlock 1), returns; the dispatcher pops the ready
 *    list and calls the handler. Both sides read mcycle (the harts leave reset
 *    together, so their mcycle counters agree).
 *
 * Output: "RESULT <key> <value>" lines; exit code = failed checks. -DTASKS, -DRUNS and
 * -DSAMPLES set the sizes (atsintc.tools.bench_smp); -DSTRESS runs only the hw case
 * on two harts with 16 cycles of work (many runs: the exactly-once check at scale). */
#include <stdint.h>

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

enum { IDLE, SPEEDUP_HW, SPEEDUP_SW, IPC_HW, IPC_SW, STOP };

/* shared (through SHARED()) */
static struct smp_cmd cmdbox;
static uint32_t ack_seq, work;
static uint32_t left[TASKS], runs[TASKS], finished, ran_by[2];
static struct smp_ring swq;                /* the sw ready queue (TASKS <= SMP_RING) */
static uint32_t t_recv[SAMPLES], t_send[SAMPLES];

static uint32_t task(int i)
{
    return ((uint32_t)(i + 1) << 4);    /* priority 0 */
}

static void spin(uint32_t n)
{
    uint32_t t = rdcycle32();
    while (rdcycle32() - t < n)
        ;
}

static void sw_push(uint32_t w)
{
    smp_ring_push(&swq, 0, w);
}

static uint32_t sw_pop(void)
{
    return smp_ring_pop(&swq, 0);
}

/* run one task: WORK cycles, then re-enqueue it or count it finished */
static void run_task(int hw, int hart, uint32_t w)
{
    int i = (int)(w >> 4) - 1;
    spin(SHARED(work));
    SHARED(runs[i]) += 1;
    SHARED(ran_by[hart]) += 1;
    if (--SHARED(left[i])) {
        if (hw)
            soc_write32(INTC(0, ATSINTC_PROC_ENQUEUE), w);
        else
            sw_push(w);
    } else {
        smp_lock(0);
        SHARED(finished) += 1;
        smp_unlock(0);
    }
}

static void worker(int hw, int hart)
{
    while (SHARED(finished) < TASKS) {
        uint32_t w = hw ? soc_read32(INTC(0, ATSINTC_PROC_DEQUEUE)) : sw_pop();
        if (w)
            run_task(hw, hart, w);
    }
}

/* ---- hart 1 ------------------------------------------------------------------------- */
/* the handler coroutine of the IPC benchmark: its first instruction takes the time */
typedef void (*handler_fn)(int k);

static __attribute__((noinline)) void on_message(int k)
{
    uint32_t t = rdcycle32();
    SHARED(t_recv[k]) = t;
}

static void ipc_hw_receiver(void)
{
    uint32_t handler = task(TASKS);
    static volatile handler_fn table[TASKS + 2];
    table[TASKS] = on_message;
    for (int k = 0; k < SAMPLES; k++) {
        soc_write32(INTC(1, ATSINTC_PROC_HANDLER(0)), handler);
        SHARED(ack_seq) += 1;                           /* registered: hart 0 may send */
        uint32_t w;
        do
            w = soc_read32(INTC(1, ATSINTC_PROC_DEQUEUE_WAIT));
        while (!w);
        table[(w >> 4) - 1](k);                         /* dispatch */
        (void)soc_read32(INTC(1, ATSINTC_PROC_RECV(0)));
    }
}

/* sw-ipi: the shared message ring and hart 1's ready list, under spinlock 1 */
static struct smp_ring mring, rlist;
static uint32_t delivered;

/* hart 1's machine software interrupt: messages -> the receiver's mailbox, its handler
 * task made ready */
static __attribute__((interrupt("machine"))) void ipi_trap(void)
{
    soc_write32(SOC_SMP_BASE + SOC_SMP_MSIP(1), 0);
    uint32_t m;
    while ((m = smp_ring_pop(&mring, 1))) {
        SHARED(delivered) = m;
        smp_ring_push(&rlist, 1, task(TASKS));
    }
}

static void ipc_sw_receiver(void)
{
    static volatile handler_fn table[TASKS + 2];
    table[TASKS] = on_message;
    uint32_t saved;
    __asm__ volatile("csrrw %0, mtvec, %1" : "=r"(saved) : "r"(ipi_trap));
    __asm__ volatile("csrs mstatus, %0" ::"r"(1u << 3));          /* MIE */
    for (int k = 0; k < SAMPLES; k++) {
        SHARED(ack_seq) += 1;                           /* idle: hart 0 may send */
        uint32_t w;
        while (!(w = smp_ring_pop(&rlist, 1)))          /* the dispatch loop */
            __asm__ volatile("wfi");
        table[(w >> 4) - 1](k);                         /* dispatch */
    }
    __asm__ volatile("csrc mstatus, %0" ::"r"(1u << 3));
    __asm__ volatile("csrw mtvec, %0" ::"r"(saved));
}

/* hart 1 sleeps in WFI between commands (no bus traffic while hart 0 runs alone) */
void hart_main(int hart)
{
    uint32_t seen = 0;
    __asm__ volatile("csrs mie, %0" ::"r"(SMP_MIP_MSIP));
    for (;;) {
        uint32_t c = smp_next(&cmdbox, &seen, hart);
        if (c == SPEEDUP_HW || c == SPEEDUP_SW)
            worker(c == SPEEDUP_HW, hart);
        else if (c == IPC_HW)
            ipc_hw_receiver();
        else if (c == IPC_SW)
            ipc_sw_receiver();
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

static int speedup(int hw, int harts, uint32_t w, const char *key)
{
    SHARED(work) = w;
    SHARED(finished) = 0;
    SHARED(swq.head) = SHARED(swq.tail) = 0;
    SHARED(ran_by[0]) = SHARED(ran_by[1]) = 0;
    for (int i = 0; i < TASKS; i++) {
        SHARED(left[i]) = RUNS;
        SHARED(runs[i]) = 0;
        if (hw)
            soc_write32(INTC(0, ATSINTC_PROC_ENQUEUE), task(i));
        else
            sw_push(task(i));
    }
    uint32_t acks = SHARED(ack_seq);
    uint32_t t0 = rdcycle32();
    if (harts == 2)
        command(hw ? SPEEDUP_HW : SPEEDUP_SW);
    worker(hw, 0);
    if (harts == 2)
        while (SHARED(ack_seq) == acks)
            ;
    uint32_t t = rdcycle32() - t0;
    result(key, t);
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

static int ipc(int hw, const char *key)
{
    uint32_t acks = SHARED(ack_seq);
    command(hw ? IPC_HW : IPC_SW);
    for (int k = 0; k < SAMPLES; k++) {
        while (SHARED(ack_seq) == acks + (uint32_t)k)    /* the receiver is waiting */
            ;
        spin(200);                                       /* and asleep */
        uint32_t t = rdcycle32();
        if (hw) {
            soc_write32(INTC(0, ATSINTC_PROC_SEND(1 * SOC_ATSINTC_CHANNELS + 0)), k + 1);
        } else {
            smp_ring_push(&mring, 1, k + 1);
            smp_ipi(1);
        }
        SHARED(t_send[k]) = t;
    }
    while (SHARED(ack_seq) != acks + SAMPLES + 1)       /* the receiver's end */
        ;
    for (int k = 0; k < SAMPLES; k++)
        lat[k] = SHARED(t_recv[k]) - SHARED(t_send[k]);
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
    return lat[0] == 0 || lat[SAMPLES - 1] > 100000;
}

int main(void)
{
    int fails = 0;
    soc_write32(KINTC(ATSINTC_KERNEL_CAP(0)), 1u << 1);         /* process 0 -> 1 */
    soc_write32(INTC(1, ATSINTC_PROC_WAIT_TIMEOUT), 0xFFFFFFFFu);
#ifdef STRESS
    fails += speedup(1, 2, 16, "hw_2harts_stress");
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
        fails += speedup(1, 1, w, w == 64 ? "hw_1hart_64" : "hw_1hart_512");
        fails += speedup(1, 2, w, w == 64 ? "hw_2harts_64" : "hw_2harts_512");
        fails += speedup(0, 1, w, w == 64 ? "sw_1hart_64" : "sw_1hart_512");
        fails += speedup(0, 2, w, w == 64 ? "sw_2harts_64" : "sw_2harts_512");
    }
    fails += ipc(1, "ipc_hw");
    fails += ipc(0, "ipc_swipi");
    result("tasks", TASKS * RUNS);
    result("failures", fails);
    command(STOP);
    return fails;
}
