/* The CFU port (SoC(cpu_variant="VexRiscv_FullCfu"), atsintc_cfu.h): ATS-INTC operations
 * as single custom instructions, next to the MMIO path on the same queues.
 *
 * Checks (one "CHECK ok|FAIL <what>" line each): priority order through the CFU, CFU and
 * MMIO mixed on one queue (also back to back, in both orders), another process's window,
 * BLOCK + a VEC_RAISE wake, HANDLER + SEND + RECV, the ERROR register's bits through a
 * CFU read (INVALID, UNMAPPED) and their RW1C clear, DEQUEUE_WAIT through the CFU.
 *
 * Timing: rdcycle deltas around one instruction (minus the empty measurement, the same
 * instructions without it), for the CFU and the MMIO access:
 *     RESULT cfu <cfu_bus> enq_cfu=.. deq_cfu=.. enq_mmio=.. deq_mmio=.. ...
 * Exit code: the number of failed checks. */
#include <stdint.h>

#include "atsintc_cfu.h"
#include "atsintc_regs.h"
#include "console.h"
#include "soc.h"

#ifndef CFU_BUS
#define CFU_BUS "shared"
#endif

#define KWIN ((uintptr_t)SOC_ATSINTC_BASE)
#define WIN(p) ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p)
#define WIN0 WIN(0)
#define VEC 3
#define CHAN 2

static int failures;
static volatile uint32_t scratch;

static void check(int ok, const char *what)
{
    console_puts(ok ? "CHECK ok " : "CHECK FAIL ");
    console_puts(what);
    console_putc('\n');
    failures += !ok;
}

static void kv(const char *k, uint32_t v)
{
    console_putc(' ');
    console_puts(k);
    console_putc('=');
    console_put_uint(v);
}

static uint32_t task(unsigned id, unsigned prio)
{
    return atsintc_task((uintptr_t)id << 4, prio);
}

static void drain(uintptr_t win)
{
    while (atsintc_read(win + ATSINTC_PROC_DEQUEUE))
        ;
}

/* ---- functional checks ----------------------------------------------------------------- */

static void check_priority_order(void)
{
    static const unsigned prio[6] = {5, 1, 7, 1, 3, 0};
    for (unsigned i = 0; i < 6; i++)
        atsintc_cfu_enqueue(WIN0, task(i + 1, prio[i]));
    check(atsintc_cfu_read(WIN0, ATSINTC_PROC_READY_COUNT) == 6 &&
          atsintc_read(WIN0 + ATSINTC_PROC_READY_COUNT) == 6,
          "six CFU enqueues counted (READY_COUNT by CFU and by MMIO)");
    static const unsigned order[6] = {6, 2, 4, 5, 1, 3};   /* by priority, FIFO */
    int ok = 1;
    for (unsigned i = 0; i < 6; i++)
        ok &= atsintc_cfu_dequeue(WIN0) == task(order[i], prio[order[i] - 1]);
    ok &= atsintc_cfu_dequeue(WIN0) == 0;
    check(ok, "CFU dequeues in priority order, FIFO among equals, then 0");
}

static void check_mixed(void)
{
    /* alternate paths: MMIO enqueue, CFU enqueue, ...; dequeue CFU, MMIO, ... */
    int ok = 1;
    for (unsigned i = 0; i < 8; i++) {
        uint32_t w = task(0x10 + i, i & 3);
        if (i & 1)
            atsintc_cfu_enqueue(WIN0, w);
        else
            atsintc_write(WIN0 + ATSINTC_PROC_ENQUEUE, w);
    }
    for (unsigned prio = 0; prio < 4; prio++)
        for (unsigned k = 0; k < 2; k++) {
            uint32_t want = task(0x10 + prio + 4 * k, prio);
            uint32_t got = (k & 1) ? atsintc_read(WIN0 + ATSINTC_PROC_DEQUEUE)
                                   : atsintc_cfu_dequeue(WIN0);
            ok &= got == want;
        }
    ok &= atsintc_read(WIN0 + ATSINTC_PROC_READY_COUNT) == 0;
    check(ok, "CFU and MMIO mixed on one queue");

    /* back to back, no instruction in between: an MMIO store then a CFU read, and a
     * CFU write then an MMIO load, see each other's effect */
    int ok1 = 1, ok2 = 1;
    volatile uint32_t *mmio_enq = (volatile uint32_t *)(WIN0 + ATSINTC_PROC_ENQUEUE);
    volatile uint32_t *mmio_deq = (volatile uint32_t *)(WIN0 + ATSINTC_PROC_DEQUEUE);
    for (unsigned i = 0; i < 16; i++) {
        uint32_t w = task(0x40 + i, i & 7), got;
        __asm__ volatile("sw %[w], 0(%[enq])\n\t"
                         ".insn r 0x0B, 0, 1, %[got], %[win], x0"
                         : [got] "=&r"(got)
                         : [w] "r"(w), [enq] "r"(mmio_enq), [win] "r"(WIN0)
                         : "memory");
        ok1 &= got == w;
        __asm__ volatile(".insn r 0x0B, 1, 0, x0, %[win], %[w]\n\t"
                         "lw %[got], 0(%[deq])"
                         : [got] "=&r"(got)
                         : [w] "r"(w), [deq] "r"(mmio_deq), [win] "r"(WIN0)
                         : "memory");
        ok2 &= got == w;
    }
    check(ok1, "MMIO ENQUEUE store then CFU DEQUEUE back to back");
    check(ok2, "CFU ENQUEUE then MMIO DEQUEUE load back to back");

    /* a posted MMIO store, then a CFU read of the same register at once: alone, behind
     * a RAM store (the MMIO store waits in the dBus), after a CFU access */
    int ok3 = 1;
    volatile uint32_t *prio = (volatile uint32_t *)(WIN0 + ATSINTC_PROC_CUR_PRIO);
    for (uint32_t i = 0; i < 24; i++) {
        uint32_t got;
        if (i % 3 == 0)
            __asm__ volatile("sw %[v], 0(%[p])\n\t"
                             ".insn r 0x0B, 0, 7, %[got], %[win], x0"    /* CUR_PRIO */
                             : [got] "=&r"(got)
                             : [v] "r"(i), [p] "r"(prio), [win] "r"(WIN0)
                             : "memory");
        else if (i % 3 == 1)
            __asm__ volatile("sw %[v], 0(%[ram])\n\t"
                             "sw %[v], 0(%[p])\n\t"
                             ".insn r 0x0B, 0, 7, %[got], %[win], x0"
                             : [got] "=&r"(got)
                             : [v] "r"(i), [p] "r"(prio), [win] "r"(WIN0),
                               [ram] "r"(&scratch)
                             : "memory");
        else
            __asm__ volatile(".insn r 0x0B, 0, 4, %[got], %[win], x0\n\t"  /* READY_COUNT */
                             "sw %[v], 0(%[p])\n\t"
                             ".insn r 0x0B, 0, 7, %[got], %[win], x0"
                             : [got] "=&r"(got)
                             : [v] "r"(i), [p] "r"(prio), [win] "r"(WIN0)
                             : "memory");
        ok3 &= got == i;
    }
    atsintc_write(WIN0 + ATSINTC_PROC_CUR_PRIO, 0xFF);
    check(ok3, "MMIO store then CFU read of the same register back to back (program order)");
}

static void check_other_window(void)
{
    uint32_t w = task(0x70, 2);
    atsintc_cfu_enqueue(WIN(1), w);
    int ok = atsintc_read(WIN(1) + ATSINTC_PROC_READY_COUNT) == 1 &&
             atsintc_read(WIN0 + ATSINTC_PROC_READY_COUNT) == 0 &&
             atsintc_cfu_read(KWIN, ATSINTC_KERNEL_READY_SUMMARY) == 2 &&
             atsintc_read(WIN(1) + ATSINTC_PROC_DEQUEUE) == w;
    check(ok, "CFU on process 1's window and the kernel window (rs1 selects it)");
}

static void check_block_wake(void)
{
    atsintc_write(KWIN + ATSINTC_KERNEL_VEC_CFG(VEC), 0);       /* owner: process 0 */
    uint32_t w = task(0x80, 4);
    atsintc_cfu_block(WIN0, VEC, w);
    int ok = atsintc_cfu_read(WIN0, ATSINTC_PROC_READY_COUNT) == 0 &&
             ((atsintc_read(KWIN + ATSINTC_KERNEL_VEC_STATUS(VEC)) >> 16) & 0x7FFF) == 1;
    check(ok, "CFU BLOCK: the task waits on the vector");
    atsintc_cfu_write(KWIN, ATSINTC_KERNEL_VEC_RAISE(VEC), 1);  /* an event, via the CFU */
    uint32_t got = 0;
    for (int i = 0; i < 50 && !got; i++)
        got = atsintc_cfu_dequeue(WIN0);
    check(got == w, "VEC_RAISE through the CFU wakes it, CFU DEQUEUE returns it");
}

static void check_ipc(void)
{
    atsintc_write(KWIN + ATSINTC_KERNEL_CAP(0), 1);             /* 0 may send to 0 */
    uint32_t h = task(0x90, 1);
    atsintc_cfu_write(WIN0, ATSINTC_PROC_HANDLER(CHAN), h);
    atsintc_cfu_write(WIN0, ATSINTC_PROC_SEND(0 * SOC_ATSINTC_CHANNELS + CHAN), 0xC0FFEE);
    uint32_t got = 0;
    for (int i = 0; i < 50 && !got; i++)
        got = atsintc_cfu_dequeue(WIN0);
    uint32_t msg = atsintc_cfu_read(WIN0, ATSINTC_PROC_RECV(CHAN));
    check(got == h && msg == 0xC0FFEE && atsintc_cfu_read(WIN0, ATSINTC_PROC_RECV(CHAN)) == 0,
          "CFU HANDLER + SEND (offset 0x500 + ...) + RECV");
}

static void check_errors(void)
{
    atsintc_cfu_write(WIN0, ATSINTC_PROC_ERROR, ~0u);
    int ok = atsintc_cfu_read(WIN0, ATSINTC_PROC_ERROR) == 0;
    atsintc_cfu_enqueue(WIN0, 0);                                /* task word 0 */
    uint32_t e = atsintc_cfu_read(WIN0, ATSINTC_PROC_ERROR);
    ok &= e == ATSINTC_PROC_ERROR_INVALID_MASK;
    ok &= atsintc_read(WIN0 + ATSINTC_PROC_ERROR) == e;
    check(ok, "ENQUEUE of word 0 through the CFU: ERROR.INVALID read through the CFU");
    uint32_t z = atsintc_cfu_read(WIN0, 0xFF8);                  /* no register there */
    e = atsintc_cfu_read(WIN0, ATSINTC_PROC_ERROR);
    check(z == 0 && e == (ATSINTC_PROC_ERROR_INVALID_MASK | ATSINTC_PROC_ERROR_UNMAPPED_MASK),
          "CFU read of an unmapped offset: 0 and ERROR.UNMAPPED");
    atsintc_cfu_write(WIN0, ATSINTC_PROC_ERROR, e);
    check(atsintc_cfu_read(WIN0, ATSINTC_PROC_ERROR) == 0 &&
          atsintc_read(WIN0 + ATSINTC_PROC_READY_COUNT) == 0,
          "ERROR cleared by a CFU write (RW1C), nothing enqueued");
}

static void check_dequeue_wait(void)
{
    uint32_t w = task(0xA0, 6);
    atsintc_cfu_enqueue(WIN0, w);
    int ok = atsintc_cfu_read(WIN0, ATSINTC_PROC_DEQUEUE_WAIT) == w;
    atsintc_cfu_write(WIN0, ATSINTC_PROC_WAIT_TIMEOUT, 200);
    uint32_t t0 = rdcycle32();
    uint32_t got = atsintc_cfu_read(WIN0, ATSINTC_PROC_DEQUEUE_WAIT);
    uint32_t dt = rdcycle32() - t0;
    atsintc_cfu_write(WIN0, ATSINTC_PROC_WAIT_TIMEOUT, 4096);
    ok &= got == 0 && dt >= 200 && dt < 400;
    check(ok, "CFU DEQUEUE_WAIT: a ready task at once; empty: 0 after WAIT_TIMEOUT");
    console_puts("dequeue_wait timeout 200 took ");
    console_put_uint(dt);
    console_puts(" cycles\n");
}

/* ---- timing ------------------------------------------------------------------------------ */

/* rdcycle, three nops (the custom instruction waits in the execute stage while an older
 * CSR access, load or store is in the memory or writeback stage: the nops keep the first
 * rdcycle out of the measurement), the instructions under test, rdcycle. */
static volatile uint32_t ram_word;

#define PAD "nop\n\tnop\n\tnop\n\t"
#define MEASURE(name, body)                                                   \
    __attribute__((noinline)) static uint32_t name(uint32_t word)                  \
    {                                                                               \
        uint32_t t0, t1, tmp;                                                       \
        __asm__ volatile("rdcycle %[t0]\n\t" PAD body "\n\trdcycle %[t1]"           \
                         : [t0] "=&r"(t0), [t1] "=&r"(t1), [tmp] "=&r"(tmp)         \
                         : [w] "r"(word), [win] "r"(WIN0), [ram] "r"(&ram_word)     \
                         : "memory");                                               \
        (void)tmp;                                                                  \
        return t1 - t0;                                                             \
    }

#define ENQ_CFU ".insn r 0x0B, 1, 0, x0, %[win], %[w]\n\t"
#define DEQ_CFU ".insn r 0x0B, 0, 1, %[tmp], %[win], x0\n\t"
#define ENQ_MMIO "sw %[w], 0(%[win])\n\t"
#define DEQ_MMIO "lw %[tmp], 8(%[win])\n\t"
#define USE "add %[tmp], %[tmp], %[tmp]\n\t"         /* uses the result at once */
#define LOAD_WIN "lw %[tmp], 0(%[ram])\n\t"          /* a cached load just before */

MEASURE(m_empty, "")
MEASURE(m_enq_cfu, ENQ_CFU)
MEASURE(m_deq_cfu, DEQ_CFU)
MEASURE(m_deq_cfu_use, DEQ_CFU USE)
MEASURE(m_enq_mmio, ENQ_MMIO)
MEASURE(m_deq_mmio, DEQ_MMIO)
MEASURE(m_deq_mmio_use, DEQ_MMIO USE)
MEASURE(m_pair_cfu, ENQ_CFU DEQ_CFU)
MEASURE(m_pair_mmio, ENQ_MMIO DEQ_MMIO)
MEASURE(m_load, LOAD_WIN)
MEASURE(m_load_enq_cfu, LOAD_WIN ENQ_CFU)
MEASURE(m_load_enq_mmio, LOAD_WIN ENQ_MMIO)
MEASURE(m_load_deq_cfu, LOAD_WIN DEQ_CFU)
MEASURE(m_load_deq_mmio, LOAD_WIN DEQ_MMIO)
MEASURE(m_store, "sw %[w], 0(%[ram])\n\t")
MEASURE(m_store_enq_cfu, "sw %[w], 0(%[ram])\n\t" ENQ_CFU)
MEASURE(m_store_enq_mmio, "sw %[w], 0(%[ram])\n\t" ENQ_MMIO)
MEASURE(m_enq_cfu4, ENQ_CFU ENQ_CFU ENQ_CFU ENQ_CFU)
MEASURE(m_enq_mmio4, ENQ_MMIO ENQ_MMIO ENQ_MMIO ENQ_MMIO)

/* The last of three runs (warm instruction cache); `pre` tasks are enqueued before each
 * run (for a dequeue), the queue is drained after it. */
static uint32_t timed(uint32_t (*f)(uint32_t), int pre)
{
    uint32_t w = task(0xB0, 2), d = 0;
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < pre; k++)
            atsintc_write(WIN0 + ATSINTC_PROC_ENQUEUE, w);
        d = f(w);
        drain(WIN0);
    }
    return d;
}

static void timing(void)
{
    uint32_t base = timed(m_empty, 0);
    uint32_t load = timed(m_load, 0) - base;
    uint32_t enq_cfu = timed(m_enq_cfu, 0) - base, enq_mmio = timed(m_enq_mmio, 0) - base;
    uint32_t deq_cfu = timed(m_deq_cfu, 1) - base, deq_mmio = timed(m_deq_mmio, 1) - base;
    uint32_t deq_cfu_use = timed(m_deq_cfu_use, 1) - base;
    uint32_t deq_mmio_use = timed(m_deq_mmio_use, 1) - base;
    uint32_t pair_cfu = timed(m_pair_cfu, 0) - base, pair_mmio = timed(m_pair_mmio, 0) - base;
    uint32_t lenq_cfu = timed(m_load_enq_cfu, 0) - base - load;
    uint32_t lenq_mmio = timed(m_load_enq_mmio, 0) - base - load;
    uint32_t ldeq_cfu = timed(m_load_deq_cfu, 1) - base - load;
    uint32_t ldeq_mmio = timed(m_load_deq_mmio, 1) - base - load;
    uint32_t store = timed(m_store, 0) - base;
    uint32_t senq_cfu = timed(m_store_enq_cfu, 0) - base - store;
    uint32_t senq_mmio = timed(m_store_enq_mmio, 0) - base - store;
    uint32_t enq4_cfu = timed(m_enq_cfu4, 0) - base, enq4_mmio = timed(m_enq_mmio4, 0) - base;
    console_puts("empty measurement: ");
    console_put_uint(base);
    console_putc('\n');
    console_puts("RESULT cfu " CFU_BUS);
    kv("enq_cfu", enq_cfu);
    kv("deq_cfu", deq_cfu);
    kv("enq_mmio", enq_mmio);
    kv("deq_mmio", deq_mmio);
    kv("deq_use_cfu", deq_cfu_use);
    kv("deq_use_mmio", deq_mmio_use);
    kv("pair_cfu", pair_cfu);
    kv("pair_mmio", pair_mmio);
    kv("after_load_enq_cfu", lenq_cfu);
    kv("after_load_enq_mmio", lenq_mmio);
    kv("after_load_deq_cfu", ldeq_cfu);
    kv("after_load_deq_mmio", ldeq_mmio);
    kv("after_store_enq_cfu", senq_cfu);
    kv("after_store_enq_mmio", senq_mmio);
    kv("enq4_cfu", enq4_cfu);
    kv("enq4_mmio", enq4_mmio);
    console_putc('\n');
    (void)enq_mmio;
    check(deq_cfu < deq_mmio && deq_cfu_use < deq_mmio_use && ldeq_cfu < ldeq_mmio,
          "a CFU read (DEQUEUE) costs less than the MMIO load");
}

int main(void)
{
    uint32_t mask0;
    __asm__ volatile("csrr %0, %1" : "=r"(mask0) : "i"(SOC_CSR_MEIMASK));
    int off = !atsintc_cfu_enabled();
    atsintc_cfu_enable();
    uint32_t mask1;
    __asm__ volatile("csrr %0, %1" : "=r"(mask1) : "i"(SOC_CSR_MEIMASK));
    check(off && atsintc_cfu_enabled() && mask1 == (mask0 | ATSINTC_CFU_ENABLE),
          "CFU off after reset, on after csrs 0xBC0 bit 31");
    drain(WIN0);
    check_priority_order();
    check_mixed();
    check_other_window();
    check_block_wake();
    check_ipc();
    check_errors();
    check_dequeue_wait();
    timing();
    check(atsintc_read(WIN0 + ATSINTC_PROC_ERROR) == 0 &&
          atsintc_read(KWIN + ATSINTC_KERNEL_ERROR) == 0, "no controller error at the end");
    console_puts(failures ? "cfu FAILED\n" : "cfu ok\n");
    return failures;
}
