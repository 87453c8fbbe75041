/* System calls across harts (SoC(harts=2), controller with 16-deep mailboxes): CALLERS
 * user coroutines on hart 1 (process 1) each make CALLS calls; a call's round trip runs
 * from the caller posting it to the caller running again with the reply. The service
 * takes SERVICE cycles (default 0: an empty service). Four ways:
 *
 *   hw     exception-less, the proposal's way, on the SMP executor (rt/smp_exec.h,
 *          SX_HW_WAIT): a caller task (queue 1 = process 1, run by hart 1) SENDs its
 *          request to the kernel's channel 0 (process 0) and returns; the kernel's
 *          handler task (queue 0, run by hart 0) RECVs every request, writes the reply
 *          into the caller's slot and makes the caller ready with one ENQUEUE of its
 *          task word into process 1 (not a SEND: one reply channel per caller would
 *          need 16 channels per process). No trap, no IPI. Idle harts wait in
 *          DEQUEUE_WAIT.
 *   hw-wfi the same with SX_HW_WFI (idle harts sleep in WFI on hart_irq).
 *   ecall  the classic trap on the caller's own hart (hart 1): ecall, the trap handler
 *          serves it, mret. The callers take turns (one hart).
 *   swipi  the same tasks on the executor's SX_SW mode: the request goes into the
 *          kernel queue's software channel (waking the kernel task: IPI to hart 0 if
 *          it sleeps), the reply wakes the caller on queue 1 (IPI to hart 1 if it
 *          sleeps); spinlocks guard the queues, idle harts sleep in WFI.
 *
 * Output: RESULT <way>_cycles, <way>_p50, <way>_p99 (round trip), and calls; exit code
 * = failed checks (every call answered with its own request number). */
#include <stdint.h>

#include "../rt/smp_exec.h"
#include "atsintc_regs.h"
#include "console.h"
#include "smp.h"
#include "soc.h"

#ifndef CALLERS
#define CALLERS 16
#endif
#ifndef CALLS
#define CALLS 20
#endif
#ifndef SERVICE
#define SERVICE 0
#endif
#define TOTAL (CALLERS * CALLS)
#define INTC(p, reg) (ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p) + (reg))
#define KINTC(reg) (ATSINTC_KERNEL_BASE(SOC_ATSINTC_BASE) + (reg))

enum { NONE, RUN_ECALL, RUN_Q1, STOP };

/* shared through SHARED() */
static struct smp_cmd cmdbox;
static uint32_t ack_seq, fails, t_end, finished;
static uint32_t lat[TOTAL];             /* round trips (0: the call was never answered) */
static uint32_t reply[CALLERS];
static sx_task caller_tasks[CALLERS], kernel_task;

static void spin(uint32_t n)
{
    uint32_t t = rdcycle32();
    while (rdcycle32() - t < n)
        ;
}

static uint32_t request(int c, uint32_t k)      /* call k of caller c */
{
    return (uint32_t)(c + 1) + (k << 8);
}

/* round trip t of call k of caller c, answered with `got` */
static void record(int c, uint32_t k, uint32_t t, uint32_t got)
{
    SHARED(lat[c * CALLS + k]) = t;
    if (got != request(c, k))
        SHARED(fails) += 1;
}

/* ---- the executor's ways (hw, hw-wfi, sw-ipi) ------------------------------------------- */
/* A caller. The callers run on hart 1 only, so their own state is hart 1's (cached;
 * hart_main sets it before each way): the calls made, when the last was posted, and
 * the window their SENDs go through (sx_send_win; 0 in SX_SW). A caller's number is
 * its control block's index, so that the hot path reads no more shared memory than
 * the dispatcher's load of the task's function and the reply. */
static uint32_t calls_made[CALLERS], posted_at[CALLERS];
static uintptr_t caller_win;

static void caller(sx_task *t)
{
    uint32_t now = rdcycle32();
    int c = (int)(t - sx_shared(&caller_tasks[0]));
    uint32_t n = calls_made[c];
    if (n)                                      /* woken by the reply to call n - 1 */
        record(c, n - 1, now - posted_at[c], SHARED(reply[c]));
    if (n < CALLS) {
        calls_made[c] = n + 1;
        posted_at[c] = rdcycle32();
        sx_send_win(caller_win, 0, 0, request(c, n));   /* to the kernel's channel 0 */
        return;
    }
    smp_lock(0);
    uint32_t f = SHARED(finished) + 1;
    SHARED(finished) = f;
    smp_unlock(0);
    if (f == CALLERS) {
        SHARED(t_end) = rdcycle32();
        sx_stop();
    }
}

/* The kernel's handler: serve every request, wake its caller, listen again. */
static void kernel(sx_task *t)
{
    uint32_t m;
    while ((m = sx_recv(t, 0))) {
        int c = (int)(m & 0xFF) - 1;
        if (SERVICE)
            spin(SERVICE);
        SHARED(reply[c]) = m;                   /* the reply */
        sx_wake(sx_shared(&caller_tasks[c]));
    }
    sx_listen(t, 0);
}

/* Hart 0: set up both queues, start hart 1 on the callers, run the kernel queue. */
static void run_executor(enum sx_mode mode, const char *way);

/* ---- ecall ---------------------------------------------------------------------------- */
static __attribute__((interrupt("machine"))) void ecall_trap(void)
{
    uint32_t epc;
    __asm__ volatile("csrr %0, mepc" : "=r"(epc));
    __asm__ volatile("csrw mepc, %0" ::"r"(epc + 4));
    if (SERVICE)
        spin(SERVICE);
    /* the reply is the request (a0 unchanged) */
}

static uint32_t ecall_callers(void)     /* hart 1; returns the cycles taken */
{
    uint32_t saved, t0 = rdcycle32();
    __asm__ volatile("csrrw %0, mtvec, %1" : "=r"(saved) : "r"(ecall_trap));
    for (uint32_t k = 0; k < CALLS; k++)
        for (int c = 0; c < CALLERS; c++) {
            uint32_t start = rdcycle32();
            register uint32_t a0 __asm__("a0") = request(c, k);
            __asm__ volatile("ecall" : "+r"(a0) : : "memory");
            record(c, k, rdcycle32() - start, a0);
        }
    __asm__ volatile("csrw mtvec, %0" ::"r"(saved));
    return rdcycle32() - t0;
}

/* ---- hart 1: on command, the callers' queue or the ecall loop --------------------------- */
static uint32_t elapsed;                /* shared: the ecall way's cycles */

void hart_main(int hart)
{
    uint32_t seen = 0;
    __asm__ volatile("csrs mie, %0" ::"r"(SMP_MIP_MSIP));
    for (;;) {
        uint32_t c = smp_next(&cmdbox, &seen, hart);
        if (c == RUN_Q1) {
            for (int i = 0; i < CALLERS; i++)
                calls_made[i] = 0;
            caller_win = sx_shared(&caller_tasks[0])->win;
            sx_run((unsigned)hart, 1);
        }
        else if (c == RUN_ECALL)
            SHARED(elapsed) = ecall_callers();
        else
            return;
        SHARED(ack_seq) += 1;
    }
}

/* ---- hart 0 --------------------------------------------------------------------------- */
static void result(const char *way, const char *what, uint32_t v)
{
    console_puts("RESULT ");
    console_puts(way);
    console_puts(what);
    console_put_uint(v);
    console_putc('\n');
}

static uint32_t sorted[TOTAL];

static void report(const char *way, uint32_t cycles)
{
    for (int i = 0; i < TOTAL; i++) {
        uint32_t x = SHARED(lat[i]);
        SHARED(fails) += x == 0;
        SHARED(lat[i]) = 0;
        int j = i;
        for (; j > 0 && sorted[j - 1] > x; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = x;
    }
    result(way, "_cycles ", cycles);
    result(way, "_p50 ", sorted[TOTAL / 2]);
    result(way, "_p99 ", sorted[TOTAL * 99 / 100]);
}

static void run_executor(enum sx_mode mode, const char *way)
{
    SHARED(finished) = 0;
    sx_init(mode, 2);
    sx_task *k = sx_task_init(&kernel_task, kernel, 0, 0);
    sx_listen(k, 0);
    uint32_t acks = SHARED(ack_seq);
    uint32_t t0 = rdcycle32();
    for (int c = 0; c < CALLERS; c++) {
        sx_wake(sx_task_init(&caller_tasks[c], caller, 0, 1));
    }
    smp_post(&cmdbox, RUN_Q1, 1);
    sx_run(0, 0);
    while (SHARED(ack_seq) == acks)
        ;
    /* The kernel task is still registered (it listens after every batch) and there is
     * no unregistration: a last message (from the kernel itself) makes it ready, and
     * both are taken back, so that the next way starts with an idle channel. */
    if (mode != SX_SW) {
        soc_write32(INTC(0, ATSINTC_PROC_SEND(0 * SOC_ATSINTC_CHANNELS + 0)), ~0u);
        if (soc_read32(INTC(0, ATSINTC_PROC_DEQUEUE)) != k->word ||
            soc_read32(INTC(0, ATSINTC_PROC_RECV(0))) != ~0u ||
            soc_read32(INTC(0, ATSINTC_PROC_ERROR)) || soc_read32(INTC(1, ATSINTC_PROC_ERROR)))
            SHARED(fails) += 1;
    } else if (sx_errors_sw()) {
        SHARED(fails) += 1;
    }
    report(way, SHARED(t_end) - t0);
}

static void run_ecall(void)
{
    uint32_t acks = SHARED(ack_seq);
    smp_post(&cmdbox, RUN_ECALL, 1);
    while (SHARED(ack_seq) == acks)
        ;
    report("ecall", SHARED(elapsed));
}

int main(void)
{
    soc_write32(KINTC(ATSINTC_KERNEL_CAP(0)), 3u);               /* kernel -> both */
    soc_write32(KINTC(ATSINTC_KERNEL_CAP(1)), 1u << 0);          /* callers -> kernel */
    run_executor(SX_HW_WAIT, "hw");
    run_executor(SX_HW_WFI, "hwwfi");
    run_ecall();
    run_executor(SX_SW, "swipi");
    result("", "calls ", TOTAL);
    result("", "failures ", SHARED(fails));
    smp_post(&cmdbox, STOP, 1);
    return SHARED(fails) != 0;
}
