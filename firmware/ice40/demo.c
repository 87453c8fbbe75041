/* iCEBreaker demo (boards/icebreaker.py): VexRiscv_Min (RV32I) + 8 KiB RAM + a small
 * ATS-INTC, console on the FTDI UART.
 *
 * 1. banner and the controller's configuration (read from CONFIG0/CONFIG1/CONFIG2);
 * 2. ENQUEUE four tasks with priorities 2, 0, 3, 1 and DEQUEUE them: they come back
 *    best priority first (0 is the highest), then DEQUEUE reads 0 (empty);
 * 3. BLOCK one task on every vector; then
 *    - in simulation (-DSIM): VEC_RAISE each vector, DEQUEUE the woken task, print the
 *      latency and exit with the number of failed checks;
 *    - on the board: write EXIT (LED) with the number of failed checks, then report
 *      every wake caused by a button press (vector v = button v) and block a fresh
 *      task on that vector, forever.
 * Cycle counts come from the SoC's CYCLE register: VexRiscv_Min has no rdcycle. */
#include <stdint.h>

#include "atsintc_regs.h"
#include "console.h"
#include "soc.h"

#define K ATSINTC_KERNEL_BASE(SOC_ATSINTC_BASE)
#define P0 ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, 0)
#define MAX_VECTORS 4

static struct tcb {
    uint32_t id;
} __attribute__((aligned(ATSINTC_TCB_ALIGN))) tasks[4 + MAX_VECTORS];

static uint32_t cycle(void)
{
    return soc_read32(SOC_SYSCTL_BASE + SOC_SYSCTL_CYCLE_LO);
}

static void put_task(atsintc_word_t w)
{
    if (!w) {
        console_puts("none");
        return;
    }
    console_puts("task ");
    console_put_uint(((struct tcb *)atsintc_task_tcb(w))->id);
    console_puts(" (prio ");
    console_put_uint(atsintc_task_prio(w));
    console_putc(')');
}

static unsigned fails;

static void check(int ok, const char *what)
{
    if (!ok) {
        fails++;
        console_puts("FAIL: ");
        console_puts(what);
        console_putc('\n');
    }
}

static atsintc_word_t block_on(unsigned v, unsigned n)
{
    struct tcb *t = &tasks[4 + v];
    t->id = 100 * (v + 1) + n;
    atsintc_word_t w = atsintc_task((uintptr_t)t, 0);
    atsintc_write(P0 + ATSINTC_PROC_BLOCK(v), w);
    return w;
}

int main(void)
{
    console_puts("\nATS-INTC on iCEBreaker: VexRiscv_Min (RV32I), 8 KiB RAM\n");
    uint32_t id = atsintc_read(K + ATSINTC_KERNEL_ID);
    uint32_t c0 = atsintc_read(K + ATSINTC_KERNEL_CONFIG0);
    uint32_t c1 = atsintc_read(K + ATSINTC_KERNEL_CONFIG1);
    unsigned prios = (c0 >> 8) & 0xFF, vectors = (c0 >> 16) & 0xFF;
    console_puts("id ");
    console_put_hex(id);
    console_puts(": processes ");
    console_put_uint(c0 & 0xFF);
    console_puts(", priorities ");
    console_put_uint(prios);
    console_puts(", vectors ");
    console_put_uint(vectors);
    uint32_t pool = atsintc_read(K + ATSINTC_KERNEL_CONFIG2) & 0xFFFFFF;
    if (pool) {
        console_puts(", task pool ");
        console_put_uint(pool);
    } else {
        console_puts(", ready depth ");
        console_put_uint(c1 & 0xFFFF);
        console_puts(", blocked depth ");
        console_put_uint((c1 >> 16) & 0xFF);
    }
    console_putc('\n');
    check(id == 0x41545349u, "id");
    if (vectors > MAX_VECTORS)
        vectors = MAX_VECTORS;

    /* ---- priorities --------------------------------------------------------------- */
    static const unsigned prio[4] = {2, 0, 3, 1};
    atsintc_word_t words[4];
    for (unsigned i = 0; i < 4; i++) {
        tasks[i].id = i + 1;
        words[i] = atsintc_task((uintptr_t)&tasks[i], prio[i] % prios);
    }
    uint32_t t0 = cycle();
    for (unsigned i = 0; i < 4; i++)
        atsintc_write(P0 + ATSINTC_PROC_ENQUEUE, words[i]);
    uint32_t t1 = cycle();
    uint32_t count = atsintc_read(P0 + ATSINTC_PROC_READY_COUNT);
    atsintc_word_t got[5];
    uint32_t t2 = cycle();
    for (unsigned i = 0; i < 5; i++)
        got[i] = atsintc_read(P0 + ATSINTC_PROC_DEQUEUE);
    uint32_t t3 = cycle();
    console_puts("enqueued 4 tasks (prio 2 0 3 1) in ");
    console_put_uint(t1 - t0);
    console_puts(" cycles, ready count ");
    console_put_uint(count);
    console_putc('\n');
    for (unsigned i = 0; i < 5; i++) {
        console_puts("  dequeue -> ");
        put_task(got[i]);
        console_putc('\n');
    }
    console_puts("5 dequeues in ");
    console_put_uint(t3 - t2);
    console_puts(" cycles\n");
    check(count == 4, "ready count");
    for (unsigned i = 0; i < 4; i++)
        check(got[i] != 0 && atsintc_task_prio(got[i]) == i % prios, "priority order");
    check(got[4] == 0, "empty queue");

    /* ---- blocking on interrupt vectors ----------------------------------------------- */
    unsigned n[MAX_VECTORS] = {0};
    for (unsigned v = 0; v < vectors; v++)
        block_on(v, n[v]++);
    console_puts("blocked one task on each of ");
    console_put_uint(vectors);
    console_puts(" vectors\n");
    check(atsintc_read(P0 + ATSINTC_PROC_DEQUEUE) == 0, "nothing ready before an irq");

#ifdef SIM
    for (unsigned v = 0; v < vectors; v++) {
        uint32_t r0 = cycle();
        atsintc_write(K + ATSINTC_KERNEL_VEC_RAISE(v), 1);
        atsintc_word_t w;
        while (!(w = atsintc_read(P0 + ATSINTC_PROC_DEQUEUE)))
            ;
        uint32_t r1 = cycle();
        console_puts("VEC_RAISE ");
        console_put_uint(v);
        console_puts(" woke ");
        put_task(w);
        console_puts(" after ");
        console_put_uint(r1 - r0);
        console_puts(" cycles\n");
        check(((struct tcb *)atsintc_task_tcb(w))->id == 100 * (v + 1), "woken task");
    }
    console_puts(fails ? "demo FAILED\n" : "demo ok\n");
    return (int)fails;
#else
    console_puts(fails ? "self-test FAILED\n" : "self-test ok\n");
    soc_write32(SOC_SYSCTL_BASE + SOC_SYSCTL_EXIT, fails);     /* LEDs; keeps running */
    console_puts("press a button (vector v = button v) ...\n");
    for (unsigned wakes = 1;; wakes++) {
        atsintc_word_t w;
        uint32_t s0 = cycle();
        while (!(w = atsintc_read(P0 + ATSINTC_PROC_DEQUEUE)))
            ;
        uint32_t s1 = cycle();
        unsigned v = (((struct tcb *)atsintc_task_tcb(w))->id / 100) - 1;
        console_puts("wake ");
        console_put_uint(wakes);
        console_puts(": button/vector ");
        console_put_uint(v);
        console_puts(" woke ");
        put_task(w);
        console_puts(", waited ");
        console_put_uint(s1 - s0);
        console_puts(" cycles\n");
        if (v < vectors)
            block_on(v, n[v]++);
    }
#endif
}
