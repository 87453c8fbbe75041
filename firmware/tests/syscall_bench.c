/* System calls across harts (SoC(harts=2), controller with 16-deep mailboxes): CALLERS
 * user coroutines on hart 1 (process 1) each make CALLS calls; a
 * call's round trip runs from the caller posting it to the caller running again with
 * the reply. Three ways (all with the same empty service):
 *
 *   hw     exception-less, the proposal's way: the caller SENDs the request to the
 *          kernel's channel 0 (process 0) and suspends; the kernel's handler coroutine
 *          (hart 0, DEQUEUE_WAIT on process 0) RECVs every request, writes the reply
 *          into the caller's slot and makes the caller ready with one ENQUEUE of its
 *          task word into process 1 (not a SEND: one reply channel per caller would
 *          need 16 channels per process); hart 1 runs it (DEQUEUE_WAIT on process 1).
 *          No trap, no IPI.
 *   ecall  the classic trap on the caller's own hart (hart 1): ecall, the trap handler
 *          serves it, mret. The callers take turns (one hart).
 *   swipi  a shared request ring (spinlock 2) and an IPI to hart 0, which sleeps in
 *          WFI, serves every request and puts the callers back on hart 1's ready list
 *          (spinlock 3) with an IPI; hart 1's dispatcher sleeps in WFI when its list is
 *          empty.
 *
 * Output: RESULT <way>_cycles, <way>_p50, <way>_p99 (round trip), and calls; exit code
 * = failed checks (every call answered with its own request number). */
#include <stdint.h>

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
#define TOTAL (CALLERS * CALLS)
#define CH SOC_ATSINTC_CHANNELS
#define INTC(p, reg) (ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p) + (reg))
#define KINTC(reg) (ATSINTC_KERNEL_BASE(SOC_ATSINTC_BASE) + (reg))
#define KERNEL_TASK 0x10u                       /* task words: 16-byte aligned ids */
#define CALLER_TASK(c) ((uint32_t)((c) + 2) << 4)
#define CALLER_OF(w) ((int)((w) >> 4) - 2)

enum { NONE, RUN_ECALL, RUN_HW, RUN_SWIPI, STOP };

/* shared through SHARED() */
static struct smp_cmd cmdbox;
static uint32_t elapsed, ack_seq, fails;
static uint32_t lat[TOTAL], nlat;
static struct smp_ring requests;                        /* sw-ipi, spinlock 2 */
static struct smp_ring ready;                           /* sw-ipi, spinlock 3 */
static uint32_t reply[CALLERS];

/* caller state (hart 1 only) */
static uint32_t t_start[CALLERS], done_calls[CALLERS], finished;

static void record(int c, uint32_t got)
{
    uint32_t t = rdcycle32() - t_start[c];
    SHARED(lat[SHARED(nlat)]) = t;
    SHARED(nlat) += 1;
    if (got != (uint32_t)(c + 1) + (done_calls[c] << 8))
        SHARED(fails) += 1;
    done_calls[c] += 1;
}

static uint32_t request(int c)
{
    return (uint32_t)(c + 1) + (done_calls[c] << 8);
}

/* ---- hw: SEND / handler / DEQUEUE_WAIT ----------------------------------------------- */
static void hw_post(int c)
{
    t_start[c] = rdcycle32();
    soc_write32(INTC(1, ATSINTC_PROC_SEND(0 * CH + 0)), request(c));
}

static void hw_callers(void)
{
    finished = 0;
    for (int c = 0; c < CALLERS; c++) {
        done_calls[c] = 0;
        hw_post(c);
    }
    while (finished < CALLERS) {
        uint32_t w = soc_read32(INTC(1, ATSINTC_PROC_DEQUEUE_WAIT));
        if (!w)
            continue;
        int c = CALLER_OF(w);
        record(c, SHARED(reply[c]));
        if (done_calls[c] < CALLS)
            hw_post(c);
        else
            finished += 1;
    }
}

static void hw_kernel(void)                     /* hart 0 */
{
    uint32_t served = 0;
    soc_write32(INTC(0, ATSINTC_PROC_HANDLER(0)), KERNEL_TASK);
    while (served < TOTAL) {
        uint32_t w = soc_read32(INTC(0, ATSINTC_PROC_DEQUEUE_WAIT));
        if (w != KERNEL_TASK)
            continue;
        for (;;) {
            uint32_t m = soc_read32(INTC(0, ATSINTC_PROC_RECV(0)));
            if (!m)
                break;
            int c = (int)(m & 0xFF) - 1;
            SHARED(reply[c]) = m;                                   /* the reply */
            soc_write32(INTC(1, ATSINTC_PROC_ENQUEUE), CALLER_TASK(c));
            served += 1;
        }
        soc_write32(INTC(0, ATSINTC_PROC_HANDLER(0)), KERNEL_TASK);
    }
}

/* ---- ecall ---------------------------------------------------------------------------- */
static __attribute__((interrupt("machine"))) void ecall_trap(void)
{
    uint32_t epc;
    __asm__ volatile("csrr %0, mepc" : "=r"(epc));
    __asm__ volatile("csrw mepc, %0" ::"r"(epc + 4));
    /* the service: the reply is the request (a0 unchanged) */
}

static void ecall_callers(void)
{
    uint32_t saved;
    __asm__ volatile("csrrw %0, mtvec, %1" : "=r"(saved) : "r"(ecall_trap));
    for (int c = 0; c < CALLERS; c++)
        done_calls[c] = 0;
    for (int k = 0; k < CALLS; k++)
        for (int c = 0; c < CALLERS; c++) {
            t_start[c] = rdcycle32();
            register uint32_t a0 __asm__("a0") = request(c);
            __asm__ volatile("ecall" : "+r"(a0) : : "memory");
            record(c, a0);
        }
    __asm__ volatile("csrw mtvec, %0" ::"r"(saved));
}

/* ---- sw-ipi --------------------------------------------------------------------------- */
static void swipi_post(int c)
{
    t_start[c] = rdcycle32();
    smp_ring_push(&requests, 2, request(c));
    smp_ipi(0);
}

static void swipi_callers(void)
{
    finished = 0;
    for (int c = 0; c < CALLERS; c++) {
        done_calls[c] = 0;
        swipi_post(c);
    }
    while (finished < CALLERS) {
        uint32_t m = smp_ring_pop(&ready, 3);
        if (!m) {
            smp_wait_ipi(1);
            continue;
        }
        int c = (int)(m & 0xFF) - 1;
        record(c, SHARED(reply[c]));
        if (done_calls[c] < CALLS)
            swipi_post(c);
        else
            finished += 1;
    }
}

static void swipi_kernel(void)                  /* hart 0 */
{
    uint32_t served = 0;
    while (served < TOTAL) {
        uint32_t m = smp_ring_pop(&requests, 2);
        if (!m) {
            smp_wait_ipi(0);
            continue;
        }
        int c = (int)(m & 0xFF) - 1;
        SHARED(reply[c]) = m;
        smp_ring_push(&ready, 3, m);
        smp_ipi(1);
        served += 1;
    }
}

/* ---- hart 1: the callers, on command ---------------------------------------------------- */
void hart_main(int hart)
{
    uint32_t seen = 0;
    __asm__ volatile("csrs mie, %0" ::"r"(SMP_MIP_MSIP));
    for (;;) {
        uint32_t c = smp_next(&cmdbox, &seen, hart);
        SHARED(nlat) = 0;
        uint32_t t0 = rdcycle32();
        if (c == RUN_HW)
            hw_callers();
        else if (c == RUN_SWIPI)
            swipi_callers();
        else if (c == RUN_ECALL)
            ecall_callers();
        else
            return;
        SHARED(elapsed) = rdcycle32() - t0;
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

static void report(const char *way)
{
    for (int i = 0; i < TOTAL; i++) {
        uint32_t x = SHARED(lat[i]);
        int j = i;
        for (; j > 0 && sorted[j - 1] > x; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = x;
    }
    result(way, "_cycles ", SHARED(elapsed));
    result(way, "_p50 ", sorted[TOTAL / 2]);
    result(way, "_p99 ", sorted[TOTAL * 99 / 100]);
}

static void run(uint32_t what, const char *way)
{
    uint32_t acks = SHARED(ack_seq);
    smp_post(&cmdbox, what, 1);
    if (what == RUN_HW)
        hw_kernel();
    else if (what == RUN_SWIPI) {
        __asm__ volatile("csrs mie, %0" ::"r"(SMP_MIP_MSIP));
        swipi_kernel();
    }
    while (SHARED(ack_seq) == acks)
        ;
    if (SHARED(nlat) != TOTAL)
        SHARED(fails) += 1;
    report(way);
}

int main(void)
{
    soc_write32(KINTC(ATSINTC_KERNEL_CAP(0)), 1u << 1);          /* kernel -> callers */
    soc_write32(KINTC(ATSINTC_KERNEL_CAP(1)), 1u << 0);          /* callers -> kernel */
    soc_write32(INTC(0, ATSINTC_PROC_WAIT_TIMEOUT), 0xFFFFFFFFu);
    soc_write32(INTC(1, ATSINTC_PROC_WAIT_TIMEOUT), 0xFFFFFFFFu);
    run(RUN_HW, "hw");
    run(RUN_ECALL, "ecall");
    run(RUN_SWIPI, "swipi");
    result("", "calls ", TOTAL);
    result("", "failures ", SHARED(fails));
    smp_post(&cmdbox, STOP, 1);
    return SHARED(fails) != 0;
}
